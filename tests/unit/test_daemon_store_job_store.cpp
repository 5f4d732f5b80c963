// Tests for daemon/store/job_store: an update reads, edits and writes in one transaction;
// deleting a job keeps its runs.
#include "daemon/store/job_store.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_store_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dagctl::common::to_string;
using nlohmann::json;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;               // test_util.hpp
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp

class JobStore : public StoreFixture {
protected:
  store::JobStore& jobs() { return store().jobs(); }
};

// docs/api.md: deleting a job keeps its runs in the history, under the deleted job's id,
// until retention prunes them; the job's delivery log goes with it.
TEST_F(JobStore, DeletingAJobKeepsItsRunsInTheHistory) {
  add_shop();
  const Job nightly = job("job-nightly");
  store().runs().insert(make_run("n1", nightly), 10);
  try {
    store().jobs().remove("job-nightly");
    FAIL() << "deleted a job with a queued run";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
  }
  ASSERT_TRUE(store().runs().finish("n1", RunStatus::success, at(1'775'131'260'000), 0, std::nullopt, json::object()));
  store::Delivery delivery;
  delivery.id = "dlv-1";
  delivery.job_id = "job-nightly";
  delivery.run_id = "n1";
  delivery.event = "job.completed";
  delivery.url = "http://127.0.0.1:9/hook";
  delivery.body = "{}";
  delivery.status = "delivered";
  delivery.next_attempt_at = delivery.created_at = at(1'775'131'260'000);
  store().deliveries().insert(delivery);

  store().jobs().remove("job-nightly");
  EXPECT_FALSE(store().jobs().find("job-nightly").has_value());
  const auto run = store().runs().find("n1");
  ASSERT_TRUE(run.has_value()) << "the run stays in the history";
  EXPECT_EQ(run->job_id, "job-nightly");
  EXPECT_EQ(run->job_name, "nightly");
  EXPECT_EQ(to_string(run->status), "success");
  RunFilter by_job;
  by_job.job_id = "job-nightly";
  EXPECT_EQ(ids(store().runs().list(by_job)), (std::vector<std::string>{"n1"}));
  EXPECT_EQ(ids(store().runs().list(RunFilter{})), (std::vector<std::string>{"n1"}));
  EXPECT_TRUE(store().runs().unknown_ids({"n1"}).empty()) << "so retention keeps its folder";
  EXPECT_FALSE(store().deliveries().find("dlv-1").has_value()) << "the job's delivery log goes with it";

  // Retention prunes it like any other run.
  EXPECT_EQ(store().runs().prune(at(1'775'131'300'000), 0, 10), (std::vector<std::string>{"n1"}));
  EXPECT_FALSE(store().runs().find("n1").has_value());
}

// Where two edits may meet: each waits a little for the other to be inside its edit too.
class Rendezvous {
public:
  void meet(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    ++inside_;
    met_.notify_all();
    met_.wait_for(lock, limit, [this] { return inside_ == 2; });
  }

private:
  std::mutex mutex_;
  std::condition_variable met_;
  int inside_ = 0;
};

// Two PATCHes of different fields at once (issue 12): each reads the job, changes its own
// field and writes the job back. Had the read been outside the write's transaction, both
// would read the same row, meet inside their edits, and the later write would put back
// the field the other one changed. In one transaction the second edit cannot start before
// the first is written: the first edit's wait runs out (5 ms) and the second reads the
// first's change.
TEST_F(JobStore, ConcurrentUpdatesOfDifferentFieldsBothStick) {
  add_shop();
  for (int i = 0; i < 200; ++i) {
    const std::string command = "dbt run --select model_" + std::to_string(i);
    const int timeout = 60 + i;
    std::barrier start(2);
    Rendezvous edits;
    std::thread a([&] {
      start.arrive_and_wait();
      jobs().update("job-default", [&](Job& j) {
        edits.meet(5ms);
        j.command = command;
      });
    });
    std::thread b([&] {
      start.arrive_and_wait();
      jobs().update("job-default", [&](Job& j) {
        edits.meet(5ms);
        j.timeout_seconds = timeout;
      });
    });
    a.join();
    b.join();
    const auto job = jobs().find("job-default");
    ASSERT_TRUE(job);
    ASSERT_EQ(job->command, command) << "iteration " << i;
    ASSERT_EQ(job->timeout_seconds, timeout) << "iteration " << i;
  }
}

TEST_F(JobStore, UpdateReturnsTheJobAsStored) {
  add_shop();
  const auto updated = jobs().update("job-default", [](Job& j) {
    j.command = "dbt run";
    j.schedule = "0 6 * * *";
    j.webhook_headers = {{"X-Team", "data"}};
  });
  const auto stored = jobs().find("job-default");
  ASSERT_TRUE(stored);
  EXPECT_EQ(updated.command, "dbt run");
  EXPECT_EQ(stored->command, "dbt run");
  EXPECT_EQ(stored->schedule, "0 6 * * *");
  EXPECT_EQ(stored->webhook_headers, updated.webhook_headers);
  EXPECT_EQ(stored->name, "default");  // untouched fields stay
}

// last_fire_* are the scheduler's (record_schedule): an update never writes them, whatever
// its edit does; schedule_checked_at moves only when the edit moves it.
TEST_F(JobStore, AnUpdateNeverWritesTheSchedulersLastFire) {
  add_shop();
  jobs().record_schedule("job-default", at(2'000), at(1'000), std::string("run r1"));
  const auto updated = jobs().update("job-default", [](Job& j) {
    j.command = "dbt run";
    j.last_fire_at.reset();
    j.last_fire_outcome = "edited";
  });
  const auto stored = jobs().find("job-default");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->command, "dbt run");
  EXPECT_EQ(stored->schedule_checked_at, at(2'000));
  EXPECT_EQ(stored->last_fire_at, at(1'000));
  EXPECT_EQ(stored->last_fire_outcome, "run r1");
  EXPECT_EQ(updated.last_fire_at, stored->last_fire_at);
  EXPECT_EQ(updated.last_fire_outcome, stored->last_fire_outcome);

  jobs().update("job-default", [](Job& j) { j.schedule_checked_at = at(3'000); });
  EXPECT_EQ(jobs().find("job-default")->schedule_checked_at, at(3'000));
}

TEST_F(JobStore, AnEditThatThrowsChangesNothing) {
  add_shop();
  const auto half_then_throw = [](Job& j) {
    j.command = "dbt run";
    throw std::invalid_argument("field 'timeout_seconds' is not a number");
  };
  EXPECT_THROW(jobs().update("job-default", half_then_throw), std::invalid_argument);
  EXPECT_EQ(jobs().find("job-default")->command, "dbt build");
  // The transaction ended with the throw: the next write goes through.
  jobs().update("job-default", [](Job& j) { j.command = "dbt test"; });
  EXPECT_EQ(jobs().find("job-default")->command, "dbt test");
}

TEST_F(JobStore, UpdateOfAMissingJobIsNotFoundAndATakenNameAConflict) {
  add_shop();
  try {
    jobs().update("job-gone", [](Job&) { FAIL() << "no job to edit"; });
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::not_found);
  }
  try {
    jobs().update("job-default", [](Job& j) { j.name = "nightly"; });
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
    EXPECT_NE(std::string(e.what()).find("'nightly'"), std::string::npos);
  }
  EXPECT_EQ(jobs().find("job-default")->name, "default");
}

}  // namespace
