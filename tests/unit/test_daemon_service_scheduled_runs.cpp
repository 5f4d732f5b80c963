// ScheduledRuns with several daemons on one database (docs/schedules.md, "Several daemons"):
// two daemons, each its own store::Store on one SQLite file, driven on a fake clock. Only
// the holder of the lease "scheduler" fires; a fire time has one run however often it is
// fired; a new leader goes on from the stored schedule progress.
#include "daemon/service/scheduled_runs.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

#include "daemon/runner/dispatcher.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "test_util.hpp"

namespace {

namespace runner = dagctl::daemon::runner;
namespace schedule = dagctl::daemon::schedule;
namespace service = dagctl::daemon::service;
namespace store = dagctl::daemon::store;
namespace fs = std::filesystem;
using dagctl::common::TimePoint;
using namespace dagctl::test;  // test_util.hpp

// One dagctld as far as schedules go; the dispatcher is never started, runs stay queued.
struct Daemon {
  Daemon(const std::string& data_dir, const std::string& id, const TimePoint& clock)
      : store(data_dir + "/dagctl.db", std::chrono::milliseconds(2000)),
        outbox(store, store.projects().default_organization()),
        dispatcher(store, executor, 1, &outbox),
        service(store, dispatcher, outbox, info(data_dir)),
        actions(store, service, nullptr, id, std::chrono::seconds(30), [&clock] { return clock; }),
        core(actions) {}
  static dagctl::daemon::service::DaemonInfo info(const std::string& data_dir) {
    dagctl::daemon::service::DaemonInfo out;
    out.version = "test";
    out.data_dir = data_dir;
    return out;
  }
  dagctl::daemon::store::Store store;  // qualified: inside Daemon, `store` names this member
  dagctl::daemon::webhooks::Outbox outbox;
  NoExecutor executor;
  runner::Dispatcher dispatcher;
  dagctl::daemon::service::Service service;  // qualified, as store above
  dagctl::daemon::service::ScheduledRuns actions;
  schedule::SchedulerCore core;
};

class TwoDaemons : public ::testing::Test {
protected:
  TwoDaemons() {
    const fs::path folder = dir_.path() / "shop";
    fs::create_directories(folder);
    std::ofstream(folder / "dbt_project.yml") << "name: shop\n";
    a_ = std::make_unique<Daemon>(dir_.path().string(), "dmn_a", now_);
    b_ = std::make_unique<Daemon>(dir_.path().string(), "dmn_b", now_);
    service::ProjectSpec spec;
    spec.path = folder.string();
    spec.check = false;
    const auto project = a_->service.add_project(spec).id;
    job_ = a_->service
               .create_job(project, nlohmann::json{{"name", "hourly"},
                                                   {"command", "dbt build"},
                                                   {"schedule", "0 * * * *"},
                                                   {"timezone", "UTC"}})
               .id;
    now_ = dagctl::common::now();
    first_fire_ = *a_->core.next_wake(now_);
  }

  std::vector<store::Run> scheduled_runs() {
    store::RunFilter filter;
    filter.job_id = job_;
    filter.triggered_by = {"schedule"};
    return a_->store.runs().list(filter);
  }
  // The dispatcher's part: the run ran and ended, so the next fire time is not skipped.
  void end_runs() {
    for (const auto& run : scheduled_runs()) {
      if (run.status != dagctl::common::RunStatus::queued) continue;
      ASSERT_TRUE(a_->store.runs().mark_running(run.id, now_));
      ASSERT_TRUE(a_->store.runs().finish(run.id, dagctl::common::RunStatus::success, now_, 0, std::nullopt,
                                          nlohmann::json::object()));
    }
  }
  // Ticks `daemon` at `at` (the fake clock says so meanwhile); fails the test on a failure.
  void tick(Daemon& daemon, TimePoint at) {
    now_ = at;
    const auto failure = daemon.core.tick(at, false);
    EXPECT_FALSE(failure.has_value()) << *failure;
  }

  TempDir dir_;
  TimePoint now_ = dagctl::common::now();
  std::unique_ptr<Daemon> a_;
  std::unique_ptr<Daemon> b_;
  std::string job_;
  TimePoint first_fire_;
};

TEST_F(TwoDaemons, OnlyTheLeaseHolderFires) {
  tick(*a_, first_fire_ - std::chrono::seconds(5));  // A takes the lead
  tick(*b_, first_fire_);
  EXPECT_TRUE(scheduled_runs().empty()) << "B does not lead";
  tick(*a_, first_fire_ + std::chrono::seconds(1));
  tick(*b_, first_fire_ + std::chrono::seconds(2));
  const auto runs = scheduled_runs();
  ASSERT_EQ(runs.size(), 1u);
  const auto job = b_->store.jobs().find(job_);
  EXPECT_EQ(job->last_fire_at, first_fire_);
  EXPECT_EQ(job->last_fire_outcome, "run " + runs[0].id);
}

TEST_F(TwoDaemons, ANewLeaderFiresTheNextTimeOnceAndThePastOneNotAgain) {
  tick(*a_, first_fire_);
  ASSERT_EQ(scheduled_runs().size(), 1u);
  end_runs();
  // A dies. Its lease runs 30 s from its last renewal; until then B waits.
  tick(*b_, first_fire_ + std::chrono::seconds(20));
  tick(*b_, first_fire_ + std::chrono::seconds(31));  // B leads now: nothing is due
  EXPECT_EQ(scheduled_runs().size(), 1u) << "the fire time A handled is not fired again";
  const auto second = first_fire_ + std::chrono::hours(1);
  tick(*b_, second);
  tick(*b_, second + std::chrono::seconds(1));
  ASSERT_EQ(scheduled_runs().size(), 2u);
  // A comes back (a long pause, not a death): B holds the lease, A fires nothing.
  tick(*a_, second + std::chrono::seconds(2));
  EXPECT_EQ(scheduled_runs().size(), 2u);
  EXPECT_EQ(b_->store.jobs().find(job_)->last_fire_at, second);
}

TEST_F(TwoDaemons, ALeaderThatLostItsLeaseWritesNothing) {
  tick(*a_, first_fire_ - std::chrono::seconds(40));  // A leads, then pauses past its lease
  tick(*b_, first_fire_ - std::chrono::seconds(5));   // B takes over
  const auto job = *a_->store.jobs().find(job_);
  now_ = first_fire_;
  EXPECT_EQ(a_->actions.fire(job, first_fire_, first_fire_, ""), std::nullopt) << "A's fence is stale";
  a_->actions.record(job_, first_fire_ + std::chrono::hours(5), std::nullopt, "skipped");
  EXPECT_TRUE(scheduled_runs().empty());
  EXPECT_EQ(a_->store.jobs().find(job_)->schedule_checked_at, job.schedule_checked_at)
      << "A's record moved nothing on";
  tick(*b_, first_fire_);
  EXPECT_EQ(scheduled_runs().size(), 1u);
}

TEST_F(TwoDaemons, TwoFiresOfOneFireTimeMakeOneRun) {
  tick(*a_, first_fire_ - std::chrono::seconds(5));
  const auto job = *a_->store.jobs().find(job_);
  now_ = first_fire_;
  const auto first = a_->actions.fire(job, first_fire_, first_fire_, "");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(a_->actions.fire(job, first_fire_, first_fire_, ""), std::nullopt);
  const auto runs = scheduled_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, *first);
}

TEST_F(TwoDaemons, AStoppingLeaderHandsTheLeadOverAtOnce) {
  tick(*a_, first_fire_ - std::chrono::seconds(5));
  a_->actions.resign();
  tick(*b_, first_fire_);
  EXPECT_EQ(scheduled_runs().size(), 1u) << "B fired without waiting for A's lease to run out";
}

// --- the lease itself --------------------------------------------------------------------

TEST_F(TwoDaemons, ALeaseIsTakenWhenFreeOrExpiredAndItsFenceGrowsWithEachNewHolder) {
  auto& a = a_->store.leases();
  auto& b = b_->store.leases();
  const auto t = now_;
  const auto ttl = std::chrono::seconds(30);
  const auto first = a.try_acquire("x", "dmn_a", ttl, t);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(b.try_acquire("x", "dmn_b", ttl, t + std::chrono::seconds(29)), std::nullopt);
  EXPECT_EQ(a.try_acquire("x", "dmn_a", ttl, t + std::chrono::seconds(20)), first) << "renewed, same fence";
  EXPECT_EQ(b.try_acquire("x", "dmn_b", ttl, t + std::chrono::seconds(49)), std::nullopt) << "the renewal counts";
  const auto second = b.try_acquire("x", "dmn_b", ttl, t + std::chrono::seconds(51));
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(*second, *first);
  b.release("x", "dmn_b");
  const auto third = a.try_acquire("x", "dmn_a", ttl, t + std::chrono::seconds(52));
  ASSERT_TRUE(third.has_value());
  EXPECT_GT(*third, *second);
}

// --- webhook deliveries: claims ----------------------------------------------------------

TEST_F(TwoDaemons, AClaimedDeliveryGoesToNoOtherSenderUntilItsClaimExpires) {
  store::Delivery d;
  d.id = "dlv_1";
  d.job_id = job_;
  d.event = "run.finished";
  d.url = "http://127.0.0.1:9/";
  d.body = "{}";
  d.next_attempt_at = d.created_at = now_;
  a_->store.deliveries().insert(d);
  const auto t = now_;
  const auto claim_a = a_->store.deliveries().claim("dlv_1", "dmn_a", t, t + std::chrono::seconds(10));
  ASSERT_TRUE(claim_a.has_value());
  EXPECT_TRUE(b_->store.deliveries().due(t + std::chrono::seconds(5), 10, "dmn_b").empty());
  EXPECT_EQ(b_->store.deliveries().claim("dlv_1", "dmn_b", t + std::chrono::seconds(5), t + std::chrono::seconds(15)),
            std::nullopt);
  // A died mid-attempt: its claim expires and B sends the delivery, with the same id.
  EXPECT_EQ(b_->store.deliveries().due(t + std::chrono::seconds(11), 10, "dmn_b").size(), 1u);
  const auto claim_b =
      b_->store.deliveries().claim("dlv_1", "dmn_b", t + std::chrono::seconds(11), t + std::chrono::seconds(21));
  ASSERT_TRUE(claim_b.has_value());
  // A was only slow: its late record writes nothing.
  store::DeliveryAttempt late;
  late.at = t + std::chrono::seconds(12);
  late.status_code = 200;
  EXPECT_FALSE(a_->store.deliveries().record_attempt("dlv_1", late, "delivered", late.at, std::nullopt, claim_a));
  EXPECT_TRUE(a_->store.deliveries().attempts("dlv_1").empty());
  EXPECT_EQ(a_->store.deliveries().find("dlv_1")->status, "pending");
  EXPECT_TRUE(b_->store.deliveries().record_attempt("dlv_1", late, "delivered", late.at, std::nullopt, claim_b));
  EXPECT_EQ(a_->store.deliveries().attempts("dlv_1").size(), 1u);
  EXPECT_EQ(a_->store.deliveries().find("dlv_1")->status, "delivered");
  EXPECT_EQ(a_->store.deliveries().claim("dlv_1", "dmn_a", t + std::chrono::seconds(30), t + std::chrono::seconds(40)),
            std::nullopt)
      << "a delivered delivery is claimed by no one";
}

}  // namespace
