// Tests for daemon/retention (docs/runs.md) over a real SQLite store and real folders, at
// a fixed `now`: what is pruned (age, count per job, in batches), what never is (queued and
// running runs, runs owing a webhook, runs a queued retry reads), and stray folders.
#include "daemon/runner/retention.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/store.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dagctl::common::RunStatus;
using dagctl::common::TimePoint;
using dagctl::daemon::runner::PruneReport;
using dagctl::daemon::runner::Retention;
using dagctl::daemon::runner::RetentionPolicy;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;  // test_util.hpp

const TimePoint kNow = dagctl::common::from_millis(1'790'000'000'000);  // 2026-09-21
constexpr auto kDay = std::chrono::hours(24);

class RetentionTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_.emplace(dir_.file("dagctl.db"));
    const std::string org = store_->projects().default_organization().id;
    store::Project p;
    p.id = "prj-shop";
    p.org_id = org;
    p.name = "shop";
    p.path = "/home/ana/shop";
    p.created_at = kNow - 400 * kDay;
    store_->projects().create(p, {job("job-default"), job("job-nightly")});
  }

  store::Job job(const std::string& id) {
    store::Job j;
    j.id = id;
    j.project_id = "prj-shop";
    j.name = id.substr(4);
    j.command = "dbt build";
    j.created_at = kNow - 400 * kDay;
    j.updated_at = j.created_at;
    return j;
  }

  // A run of `job_id` created `age` before kNow, with its folder; finished `age` before kNow
  // unless `status` is queued or running.
  void add_run(const std::string& id, std::chrono::milliseconds age, RunStatus status = RunStatus::success,
               const std::string& job_id = "job-default", std::optional<std::string> retry_of = std::nullopt) {
    store::Run r;
    r.id = id;
    r.job_id = job_id;
    r.project_id = "prj-shop";
    r.job_name = job_id.substr(4);
    r.command = "dbt build";
    r.retry_of = retry_of;
    r.created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(kNow - age);
    store_->runs().insert(r, 1'000'000);
    fs::create_directories(dir_.path() / "runs" / id / "target");
    std::ofstream(dir_.path() / "runs" / id / "output.log") << "dbt output of " << id << "\n";
    if (status == RunStatus::queued) return;
    ASSERT_TRUE(store_->runs().mark_running(id, r.created_at));
    if (status == RunStatus::running) return;
    ASSERT_TRUE(store_->runs().finish(id, status, r.created_at, 0, std::nullopt, nlohmann::json::object()));
  }

  // A webhook delivery owed by `run_id`: pending, or finished with `status`.
  void add_delivery(const std::string& id, const std::string& run_id, const std::string& status) {
    store::Delivery d;
    d.id = id;
    d.job_id = "job-default";
    d.run_id = run_id;
    d.event = "job.completed";
    d.url = "http://127.0.0.1:9/hook";
    d.body = "{}";
    d.next_attempt_at = kNow;
    d.created_at = kNow - 40 * kDay;
    store_->deliveries().insert(d);
    if (status == "pending") return;
    store::DeliveryAttempt a;
    a.at = kNow - 40 * kDay;
    a.status_code = status == "delivered" ? 200 : 404;
    store_->deliveries().record_attempt(id, a, status, kNow, std::nullopt);
  }

  PruneReport prune(RetentionPolicy policy) {
    Retention retention(*store_, dagctl::common::DataDir(dir_.path().string()), policy);
    return retention.prune(kNow);
  }

  bool has_run(const std::string& id) { return store_->runs().find(id).has_value(); }
  size_t run_count() {
    store::RunFilter all;
    all.limit = 1'000'000;
    return store_->runs().list(all).size();
  }
  bool has_folder(const std::string& id) { return fs::exists(dir_.path() / "runs" / id); }
  // Kept means both: the row and the folder. Pruned means neither.
  void expect_kept(const std::string& id) {
    EXPECT_TRUE(has_run(id)) << id << " should be kept";
    EXPECT_TRUE(has_folder(id)) << id << "'s folder should be kept";
  }
  void expect_pruned(const std::string& id) {
    EXPECT_FALSE(has_run(id)) << id << " should be pruned";
    EXPECT_FALSE(has_folder(id)) << id << "'s folder should be removed";
  }

  TempDir dir_;
  std::optional<store::Store> store_;
};

TEST_F(RetentionTest, KeepsTheNewestRunsOfEachJob) {
  for (int i = 1; i <= 6; ++i) add_run("d" + std::to_string(i), (10 - i) * 1h);
  add_run("n1", 20h, RunStatus::failed, "job-nightly");
  add_run("n2", 19h, RunStatus::partial, "job-nightly");

  const PruneReport report = prune({.keep_days = 0, .keep_runs = 3});

  EXPECT_EQ(report.runs, 3);
  for (const char* id : {"d1", "d2", "d3"}) expect_pruned(id);
  for (const char* id : {"d4", "d5", "d6", "n1", "n2"}) expect_kept(id);
  // A second pass finds nothing more to do.
  EXPECT_EQ(prune({.keep_days = 0, .keep_runs = 3}).runs, 0);
}

// Several daemons on one database (docs/schedules.md, "Several daemons"): while another
// daemon's pass holds the lease "retention" this one deletes no run, yet still removes the
// stray folders of its own data dir; once that pass gave the lease back, it prunes.
TEST_F(RetentionTest, RunsArePrunedByOneDaemonAtATimeAndStrayFoldersByEach) {
  add_run("old", 31 * kDay);
  fs::create_directories(dir_.path() / "runs" / "stray");
  ASSERT_TRUE(store_->leases().try_acquire("retention", "dmn_other", 10min, kNow).has_value());
  const PruneReport report = prune({.keep_days = 30, .keep_runs = 0});
  EXPECT_EQ(report.runs, 0);
  expect_kept("old");
  EXPECT_EQ(report.stray_folders, 1);
  store_->leases().release("retention", "dmn_other");
  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 0}).runs, 1);
  expect_pruned("old");
}

TEST_F(RetentionTest, PrunesFinishedRunsOlderThanTheAgeBoundWhateverTheirStatus) {
  add_run("old-success", 31 * kDay);
  add_run("old-failed", 45 * kDay, RunStatus::failed);
  add_run("old-error", 300 * kDay, RunStatus::error);
  add_run("old-cancelled", 31 * kDay, RunStatus::cancelled, "job-nightly");
  add_run("recent", 29 * kDay);
  add_run("today", 1h, RunStatus::partial);

  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 0}).runs, 4);

  for (const char* id : {"old-success", "old-failed", "old-error", "old-cancelled"}) expect_pruned(id);
  for (const char* id : {"recent", "today"}) expect_kept(id);
}

TEST_F(RetentionTest, NeverPrunesQueuedOrRunningRunsHoweverOld) {
  add_run("queued-long-ago", 90 * kDay, RunStatus::queued);
  add_run("finished", 50 * kDay);  // before the running one: one run of a project runs at a time
  add_run("running-long", 60 * kDay, RunStatus::running);

  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 1}).runs, 1);

  expect_kept("queued-long-ago");
  expect_kept("running-long");
  expect_pruned("finished");
}

TEST_F(RetentionTest, QueuedRunsCountAmongTheNewestButOnlyFinishedOnesGo) {
  add_run("f1", 5h);
  add_run("f2", 4h);
  add_run("q3", 3h, RunStatus::queued);
  add_run("q4", 2h, RunStatus::queued);

  EXPECT_EQ(prune({.keep_days = 0, .keep_runs = 1}).runs, 2);

  expect_pruned("f1");
  expect_pruned("f2");
  expect_kept("q3");  // beyond the bound, but queued: it runs later
  expect_kept("q4");
}

TEST_F(RetentionTest, ARunWhoseWebhookIsStillOwedStaysAndFinishedDeliveriesGoWithTheirRun) {
  add_run("owes-webhook", 40 * kDay);
  add_delivery("dlv_pending", "owes-webhook", "pending");
  add_run("delivered", 40 * kDay);
  add_delivery("dlv_done", "delivered", "delivered");
  add_run("gave-up", 40 * kDay);
  add_delivery("dlv_failed", "gave-up", "failed");

  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 0}).runs, 2);

  expect_kept("owes-webhook");
  EXPECT_TRUE(store_->deliveries().find("dlv_pending").has_value());
  expect_pruned("delivered");
  expect_pruned("gave-up");
  EXPECT_FALSE(store_->deliveries().find("dlv_done").has_value());
  EXPECT_FALSE(store_->deliveries().find("dlv_failed").has_value());
  EXPECT_TRUE(store_->deliveries().attempts("dlv_done").empty());

  // Once delivered, the run goes on the next pass.
  store::DeliveryAttempt a;
  a.at = kNow;
  a.status_code = 200;
  store_->deliveries().record_attempt("dlv_pending", a, "delivered", kNow, std::nullopt);
  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 0}).runs, 1);
  expect_pruned("owes-webhook");
}

TEST_F(RetentionTest, ARunThatAQueuedRetryReadsStaysUntilTheRetryEnds) {
  add_run("failed-long-ago", 40 * kDay, RunStatus::failed);
  add_run("its-retry", 1h, RunStatus::queued, "job-default", "failed-long-ago");

  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 1}).runs, 0);
  expect_kept("failed-long-ago");

  ASSERT_TRUE(store_->runs().finish("its-retry", RunStatus::cancelled, kNow, std::nullopt, "cancelled", nlohmann::json::object()));
  EXPECT_EQ(prune({.keep_days = 30, .keep_runs = 1}).runs, 1);
  expect_pruned("failed-long-ago");
  expect_kept("its-retry");
}

TEST_F(RetentionTest, ZeroBoundsKeepEverything) {
  add_run("ancient", 3000 * kDay);
  for (int i = 0; i < 5; ++i) add_run("r" + std::to_string(i), 1h * (i + 1));

  EXPECT_EQ(prune({.keep_days = 0, .keep_runs = 0}).runs, 0);

  expect_kept("ancient");
  EXPECT_EQ(run_count(), 6u);
}

TEST_F(RetentionTest, ABacklogLargerThanOneBatchIsPrunedInOnePass) {
  for (int i = 0; i < 520; ++i) add_run("r" + std::to_string(i), 1h * (600 - i));

  EXPECT_EQ(prune({.keep_days = 0, .keep_runs = 10}).runs, 510);

  EXPECT_EQ(run_count(), 10u);
  expect_pruned("r0");
  expect_pruned("r509");
  expect_kept("r510");
  expect_kept("r519");
}

TEST_F(RetentionTest, RemovesFoldersOfRunsAndProjectsTheDatabaseNoLongerHas) {
  add_run("kept", 1h);
  fs::create_directories(dir_.path() / "runs" / "deleted-with-its-job" / "target");
  fs::create_directories(dir_.path() / "projects" / "prj-shop");
  fs::create_directories(dir_.path() / "projects" / "prj-deleted");
  // A symlink among the run folders is removed itself; what it points to is not touched.
  TempDir outside;
  std::ofstream(outside.file("precious.txt")) << "not dagctl's\n";
  fs::create_directory_symlink(outside.path(), dir_.path() / "runs" / "link-out");

  const PruneReport report = prune({.keep_days = 30, .keep_runs = 1000});

  EXPECT_EQ(report.runs, 0);
  EXPECT_EQ(report.stray_folders, 3);
  expect_kept("kept");
  EXPECT_FALSE(fs::exists(dir_.path() / "runs" / "deleted-with-its-job"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_.path() / "runs" / "link-out")));
  EXPECT_TRUE(fs::exists(outside.file("precious.txt")));
  EXPECT_TRUE(fs::exists(dir_.path() / "projects" / "prj-shop"));
  EXPECT_FALSE(fs::exists(dir_.path() / "projects" / "prj-deleted"));
}

TEST_F(RetentionTest, AFreshDataDirWithoutRunFoldersIsFine) {
  EXPECT_EQ(prune({}).runs, 0);
  EXPECT_EQ(prune({}).stray_folders, 0);
}

// The thread: a pass at start, another when woken (a job or project was deleted), and a
// stop that does not wait for the interval.
TEST_F(RetentionTest, TheThreadPassesAtStartAndWhenWokenAndStopsAtOnce) {
  fs::create_directories(dir_.path() / "projects" / "prj-shop");
  fs::create_directories(dir_.path() / "projects" / "prj-deleted-before-start");
  Retention retention(*store_, dagctl::common::DataDir(dir_.path().string()), {}, std::chrono::hours(1));
  retention.start();
  EXPECT_TRUE(eventually([&] { return !fs::exists(dir_.path() / "projects" / "prj-deleted-before-start"); }));
  fs::create_directories(dir_.path() / "projects" / "prj-deleted-now");
  retention.wake();
  EXPECT_TRUE(eventually([&] { return !fs::exists(dir_.path() / "projects" / "prj-deleted-now"); }));
  retention.shutdown();
  retention.shutdown();  // a second call is harmless
  EXPECT_TRUE(fs::exists(dir_.path() / "projects" / "prj-shop"));
}

}  // namespace
