// Tests for daemon/runner/dispatcher: which queued run starts when (docs/runs.md), cancel
// (docs/runs.md) and shutdown (docs/daemon.md), over a real Store and a fake executor the test drives.
#include "daemon/runner/dispatcher.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>

#include "common/fd.hpp"
#include "common/time.hpp"
#include "daemon/app/heartbeat.hpp"
#include "daemon/runner/recovery.hpp"
#include "daemon/store/store.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using dagctl::common::Fd;
using dagctl::common::RunStatus;
using dagctl::common::to_string;
using dagctl::daemon::runner::Outcome;
using dagctl::daemon::runner::Progress;
using dagctl::daemon::runner::RunCallbacks;
using dagctl::daemon::runner::RunContext;
using dagctl::daemon::runner::RunControl;
using dagctl::daemon::runner::RunExecutor;
using dagctl::daemon::runner::StopReason;
namespace runner = dagctl::daemon::runner;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;  // test_util.hpp

// Stands in for dbt: each run blocks until the test releases it or the dispatcher asks it
// to stop; the Outcome then follows control.reason(), as the real executor's does.
class FakeExecutor : public RunExecutor {
public:
  // What the fake reports through on_progress right after it started.
  Progress progress_to_report{3, 10};
  // Runs whose execute() throws (as a broken run folder would make the real one do).
  std::set<std::string> throw_for;

  Outcome execute(const RunContext& context, RunControl& control,
                  const RunCallbacks& callbacks) override {
    const std::string id = context.run.id;
    if (throw_for.count(id)) throw std::runtime_error("no space left on device");
    Fd release(::eventfd(0, EFD_CLOEXEC));
    if (!release) throw std::runtime_error("eventfd failed");
    if (callbacks.on_progress) callbacks.on_progress(progress_to_report);
    {
      std::lock_guard lock(mutex_);
      events_.push_back("start " + id);
      started_.push_back(id);
      running_[id] = context.project.id;
      release_fds_[id] = release.get();
      max_running_ = std::max(max_running_, static_cast<int>(running_.size()));
      std::map<std::string, int> per_project;
      for (const auto& [run, project] : running_) {
        max_running_per_project_ = std::max(max_running_per_project_, ++per_project[project]);
      }
      if (released_.count(id)) signal(release.get());
    }
    changed_.notify_all();

    pollfd fds[2] = {{control.fd(), POLLIN, 0}, {release.get(), POLLIN, 0}};
    const int rc = ::poll(fds, 2, static_cast<int>(std::chrono::milliseconds(kDeadline).count()));

    Outcome out;
    out.results = nlohmann::json{{"success", 1}};
    switch (control.reason()) {
      case StopReason::none:
        out.status = RunStatus::success;
        out.exit_code = 0;
        if (rc == 0) {  // nobody released it: the test is broken, do not hang
          out.status = RunStatus::error;
          out.error_message = "fake executor: never released";
        }
        break;
      case StopReason::cancelled:
        out.status = RunStatus::cancelled;
        out.error_message = "cancelled by request";
        break;
      case StopReason::timed_out:
        out.status = RunStatus::error;
        out.error_message = "timed out";
        break;
      case StopReason::daemon_stopped:
        out.status = RunStatus::error;
        out.error_message = "daemon stopped";
        break;
    }
    {
      std::lock_guard lock(mutex_);
      events_.push_back("end " + id);
      running_.erase(id);
      release_fds_.erase(id);
      reasons_[id] = control.reason();
    }
    changed_.notify_all();
    return out;
  }

  // Lets the run finish with success (now if it runs, at once when it starts otherwise).
  void release(const std::string& id) {
    std::lock_guard lock(mutex_);
    released_.insert(id);
    if (auto it = release_fds_.find(id); it != release_fds_.end()) signal(it->second);
  }

  // release(), then waits until the run has ended.
  bool finish(const std::string& id) {
    release(id);
    return wait_ended(id);
  }

  bool wait_started(const std::string& id) {
    return wait([&] { return std::find(started_.begin(), started_.end(), id) != started_.end(); });
  }
  bool wait_ended(const std::string& id) {
    return wait([&] { return reasons_.count(id) > 0; });
  }

  std::vector<std::string> started() const {
    std::lock_guard lock(mutex_);
    return started_;
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::optional<StopReason> reason(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto it = reasons_.find(id);
    if (it == reasons_.end()) return std::nullopt;
    return it->second;
  }
  int max_running() const {
    std::lock_guard lock(mutex_);
    return max_running_;
  }
  int max_running_per_project() const {
    std::lock_guard lock(mutex_);
    return max_running_per_project_;
  }
  size_t running_count() const {
    std::lock_guard lock(mutex_);
    return running_.size();
  }

private:
  static void signal(int fd) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
  }

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, std::chrono::steady_clock::now() + kDeadline, pred);
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
  std::vector<std::string> started_;
  std::map<std::string, std::string> running_;  // run id -> project id
  std::map<std::string, int> release_fds_;
  std::set<std::string> released_;
  std::map<std::string, StopReason> reasons_;
  int max_running_ = 0;
  int max_running_per_project_ = 0;
};

// Fixture named after the area so tests read Dispatcher.<What>.
class Dispatcher : public ::testing::Test {
protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);  // "run started/ended" lines are noise here
    store_.emplace((dir_.path() / "dagctl.db").string());
    org_id_ = store_->projects().default_organization().id;
  }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  // Starts the dispatcher and wakes it for the runs queued so far.
  static void start(runner::Dispatcher& d) {
    d.start();
    d.wake();
  }

  // A project "name" with one job "default"; returns the job id.
  std::string add_project(const std::string& name) {
    store::Project p;
    p.id = "prj-" + name;
    p.org_id = org_id_;
    p.name = name;
    p.path = (dir_.path() / name).string();
    p.created_at = dagctl::common::now();
    store::Job j;
    j.id = "job-" + name;
    j.project_id = p.id;
    j.name = "default";
    j.created_at = p.created_at;
    j.updated_at = p.created_at;
    store_->projects().create(p, {j});
    return j.id;
  }

  // Queues a run of the project's default job (the way a trigger does).
  void queue(const std::string& run_id, const std::string& project) {
    store::Run r;
    r.id = run_id;
    r.job_id = "job-" + project;
    r.project_id = "prj-" + project;
    r.job_name = "default";
    r.status = RunStatus::queued;
    r.command = "dbt build";
    r.created_at = dagctl::common::now();
    store_->runs().insert(r, 100);
  }

  std::string status(const std::string& run_id) {
    const auto run = store_->runs().find(run_id);
    return run ? std::string(to_string(run->status)) : "missing";
  }

  std::string db_path() const { return (dir_.path() / "dagctl.db").string(); }
  // The store again, giving up on a lock another process holds after `busy_wait`.
  void reopen_store(std::chrono::milliseconds busy_wait) {
    store_.reset();
    store_.emplace(db_path(), busy_wait);
  }

  TempDir dir_;
  std::optional<store::Store> store_;
  std::string org_id_;
  FakeExecutor executor_;
};

TEST_F(Dispatcher, RunsOfOneProjectRunOneAtATimeInTriggerOrder) {
  add_project("shop");
  add_project("other");
  queue("r1", "shop");
  queue("r2", "shop");
  queue("r3", "shop");
  queue("o1", "other");  // queued after them, so the loop has looked at r2 and r3 first
  runner::Dispatcher d(*store_, executor_, 4);
  start(d);

  ASSERT_TRUE(executor_.wait_started("r1"));
  ASSERT_TRUE(executor_.wait_started("o1"));
  EXPECT_EQ(status("r1"), "running");
  EXPECT_EQ(status("r2"), "queued") << "a second run of a busy project must wait";
  EXPECT_EQ(status("r3"), "queued");

  executor_.release("r1");
  ASSERT_TRUE(executor_.wait_started("r2"));
  EXPECT_EQ(status("r3"), "queued");
  executor_.release("r2");
  ASSERT_TRUE(executor_.wait_started("r3"));
  executor_.release("r3");
  executor_.release("o1");
  ASSERT_TRUE(executor_.wait_ended("r3"));
  ASSERT_TRUE(executor_.wait_ended("o1"));
  d.shutdown();

  std::vector<std::string> shop_events;
  for (const auto& e : executor_.events()) {
    if (e.find(" r") != std::string::npos) shop_events.push_back(e);
  }
  EXPECT_EQ(shop_events,
            (std::vector<std::string>{"start r1", "end r1", "start r2", "end r2", "start r3", "end r3"}));
  EXPECT_EQ(executor_.max_running_per_project(), 1);
  for (const auto* id : {"r1", "r2", "r3", "o1"}) EXPECT_EQ(status(id), "success") << id;
}

TEST_F(Dispatcher, TwoProjectsRunInParallel) {
  add_project("a");
  add_project("b");
  queue("a1", "a");
  queue("b1", "b");
  runner::Dispatcher d(*store_, executor_, 2);
  start(d);
  ASSERT_TRUE(executor_.wait_started("a1"));
  ASSERT_TRUE(executor_.wait_started("b1"));
  EXPECT_EQ(executor_.running_count(), 2u) << "both run at the same time";
  EXPECT_EQ(store_->runs().count_active().running, 2);
  executor_.release("a1");
  executor_.release("b1");
  ASSERT_TRUE(executor_.wait_ended("a1"));
  ASSERT_TRUE(executor_.wait_ended("b1"));
  d.shutdown();
  EXPECT_EQ(status("a1"), "success");
  EXPECT_EQ(status("b1"), "success");
}

TEST_F(Dispatcher, MaxParallelCapsRunsAcrossProjects) {
  for (const auto* p : {"a", "b", "c", "d"}) add_project(p);
  queue("a1", "a");
  queue("b1", "b");
  queue("c1", "c");
  queue("d1", "d");
  runner::Dispatcher d(*store_, executor_, 2);
  start(d);
  ASSERT_TRUE(executor_.wait_started("a1"));
  ASSERT_TRUE(executor_.wait_started("b1"));
  EXPECT_EQ(status("c1"), "queued");
  EXPECT_EQ(status("d1"), "queued");

  executor_.release("a1");
  ASSERT_TRUE(executor_.wait_started("c1")) << "a freed slot goes to the oldest queued run";
  EXPECT_EQ(status("d1"), "queued");
  executor_.release("b1");
  ASSERT_TRUE(executor_.wait_started("d1"));
  executor_.release("c1");
  executor_.release("d1");
  ASSERT_TRUE(executor_.wait_ended("c1"));
  ASSERT_TRUE(executor_.wait_ended("d1"));
  d.shutdown();

  EXPECT_EQ(executor_.max_running(), 2);
  auto started = executor_.started();
  ASSERT_EQ(started.size(), 4u);
  std::sort(started.begin(), started.begin() + 2);  // a1 and b1 start on two threads: either order
  EXPECT_EQ(started, (std::vector<std::string>{"a1", "b1", "c1", "d1"}));
}

TEST_F(Dispatcher, RunQueuedWhileRunningStartsAfterWake) {
  add_project("shop");
  runner::Dispatcher d(*store_, executor_, 2);
  d.start();
  queue("r1", "shop");
  d.wake();
  ASSERT_TRUE(executor_.wait_started("r1"));
  queue("r2", "shop");
  d.wake();
  executor_.release("r1");
  ASSERT_TRUE(executor_.wait_started("r2"));
  ASSERT_TRUE(executor_.finish("r2"));
  d.shutdown();
  EXPECT_EQ(status("r2"), "success");
}

TEST_F(Dispatcher, CancelOfAQueuedRunEndsItCancelledWithoutExecuting) {
  add_project("shop");
  queue("r1", "shop");
  queue("r2", "shop");
  queue("r3", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));

  EXPECT_TRUE(d.cancel("r2"));
  const auto r2 = store_->runs().find("r2");
  ASSERT_TRUE(r2);
  EXPECT_EQ(to_string(r2->status), "cancelled");
  EXPECT_TRUE(r2->end_time.has_value());
  EXPECT_TRUE(r2->error_message.has_value());
  EXPECT_FALSE(r2->start_time.has_value()) << "it never started";

  executor_.release("r1");
  ASSERT_TRUE(executor_.wait_started("r3"));  // r2 was skipped: it is no longer queued
  ASSERT_TRUE(executor_.finish("r3"));
  d.shutdown();
  EXPECT_EQ(executor_.started(), (std::vector<std::string>{"r1", "r3"}));
  EXPECT_EQ(status("r2"), "cancelled");
  EXPECT_FALSE(d.cancel("r2")) << "a cancelled run is not active any more";
}

TEST_F(Dispatcher, CancelOfAQueuedRunWorksBeforeTheDispatcherStarts) {
  add_project("shop");
  queue("r1", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  EXPECT_TRUE(d.cancel("r1"));
  EXPECT_EQ(status("r1"), "cancelled");
  d.start();
  queue("r2", "shop");
  d.wake();
  ASSERT_TRUE(executor_.wait_started("r2"));
  ASSERT_TRUE(executor_.finish("r2"));
  d.shutdown();
  EXPECT_EQ(executor_.started(), (std::vector<std::string>{"r2"}));
}

TEST_F(Dispatcher, CancelOfAnUnknownOrFinishedRunIsRefused) {
  add_project("shop");
  queue("r1", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));
  ASSERT_TRUE(executor_.finish("r1"));
  EXPECT_FALSE(d.cancel("no-such-run"));
  d.shutdown();
  EXPECT_FALSE(d.cancel("r1"));
  EXPECT_EQ(status("r1"), "success");
}

TEST_F(Dispatcher, CancelOfARunningRunStopsItAndItEndsCancelled) {
  add_project("shop");
  queue("r1", "shop");
  queue("r2", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));
  EXPECT_TRUE(d.cancel("r1"));
  ASSERT_TRUE(executor_.wait_ended("r1"));
  EXPECT_EQ(executor_.reason("r1"), StopReason::cancelled);
  // The next run of the project starts once the cancelled one has ended.
  ASSERT_TRUE(executor_.wait_started("r2"));
  EXPECT_EQ(status("r1"), "cancelled");
  const auto r1 = store_->runs().find("r1");
  ASSERT_TRUE(r1);
  EXPECT_TRUE(r1->end_time.has_value());
  ASSERT_TRUE(executor_.finish("r2"));
  d.shutdown();
  EXPECT_EQ(status("r2"), "success");
}

TEST_F(Dispatcher, ShutdownStopsRunningRunsAndLeavesQueuedRunsQueued) {
  add_project("a");
  add_project("b");
  queue("a1", "a");
  queue("a2", "a");
  queue("b1", "b");
  {
    runner::Dispatcher d(*store_, executor_, 4);
    start(d);
    ASSERT_TRUE(executor_.wait_started("a1"));
    ASSERT_TRUE(executor_.wait_started("b1"));
    d.shutdown();
    EXPECT_EQ(executor_.reason("a1"), StopReason::daemon_stopped);
    EXPECT_EQ(executor_.reason("b1"), StopReason::daemon_stopped);
    for (const auto* id : {"a1", "b1"}) {
      const auto run = store_->runs().find(id);
      ASSERT_TRUE(run);
      EXPECT_EQ(to_string(run->status), "error") << id;
      EXPECT_EQ(run->error_message.value_or(""), "daemon stopped") << id;
    }
    EXPECT_EQ(status("a2"), "queued");
    d.shutdown();  // a second call is harmless
  }
  auto started = executor_.started();  // a1 and b1 start on two threads: either order
  std::sort(started.begin(), started.end());
  EXPECT_EQ(started, (std::vector<std::string>{"a1", "b1"}));

  // The next daemon start runs what was left queued.
  runner::Dispatcher next(*store_, executor_, 4);
  start(next);
  ASSERT_TRUE(executor_.wait_started("a2"));
  ASSERT_TRUE(executor_.finish("a2"));
  next.shutdown();
  EXPECT_EQ(status("a2"), "success");
}

TEST_F(Dispatcher, ShutdownWithNothingRunningReturns) {
  add_project("shop");
  queue("r1", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  d.shutdown();  // never started
  EXPECT_EQ(status("r1"), "queued");
  EXPECT_TRUE(executor_.started().empty());
}

TEST_F(Dispatcher, ProgressIsVisibleWhileRunning) {
  add_project("shop");
  queue("r1", "shop");
  executor_.progress_to_report = {7, 30};
  runner::Dispatcher d(*store_, executor_, 1);
  EXPECT_FALSE(d.progress("r1").has_value()) << "queued: no progress yet";
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));
  const auto p = d.progress("r1");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->done, 7);
  EXPECT_EQ(p->total, 30);
  EXPECT_FALSE(d.progress("no-such-run").has_value());
  ASSERT_TRUE(executor_.finish("r1"));
  d.shutdown();
  EXPECT_FALSE(d.progress("r1").has_value()) << "finished: no progress";
}

TEST_F(Dispatcher, QueuedRunSaysWhatItWaitsFor) {
  add_project("shop");
  add_project("other");
  queue("r1", "shop");
  queue("r2", "shop");
  queue("o1", "other");
  runner::Dispatcher d(*store_, executor_, 1);
  const auto queued = [&](const std::string& id) { return d.queued_progress(*store_->runs().find(id)); };
  auto p = queued("r2");
  EXPECT_EQ(p.phase, runner::Phase::queued);
  EXPECT_FALSE(p.waiting_for.has_value()) << "nothing runs yet: it is about to start";
  EXPECT_FALSE(p.queued_behind.has_value());

  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));
  EXPECT_EQ(d.progress("r1")->phase, runner::Phase::starting);
  p = queued("r2");
  EXPECT_EQ(p.phase, runner::Phase::queued);
  EXPECT_EQ(p.queued_behind, "r1");
  EXPECT_EQ(p.waiting_for, "run r1 (shop/default) to finish");
  p = queued("o1");
  EXPECT_FALSE(p.queued_behind.has_value()) << "its project is free";
  EXPECT_EQ(p.waiting_for, "a free slot (1 of 1 running, --max-parallel 1)");

  ASSERT_TRUE(executor_.finish("r1"));
  ASSERT_TRUE(executor_.wait_started("r2"));
  EXPECT_EQ(queued("o1").waiting_for, "a free slot (1 of 1 running, --max-parallel 1)");
  ASSERT_TRUE(executor_.finish("r2"));
  ASSERT_TRUE(executor_.finish("o1"));
  d.shutdown();
}

TEST_F(Dispatcher, ExecutorFailureEndsTheRunErrorAndTheQueueGoesOn) {
  add_project("shop");
  queue("r1", "shop");
  queue("r2", "shop");
  executor_.throw_for = {"r1"};
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r2"));
  const auto r1 = store_->runs().find("r1");
  ASSERT_TRUE(r1);
  EXPECT_EQ(to_string(r1->status), "error");
  EXPECT_NE(r1->error_message.value_or("").find("no space left on device"), std::string::npos)
      << r1->error_message.value_or("");
  ASSERT_TRUE(executor_.finish("r2"));
  d.shutdown();
  EXPECT_EQ(status("r2"), "success");
}

TEST_F(Dispatcher, FinishedRunRecordsTheOutcome) {
  add_project("shop");
  queue("r1", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));
  ASSERT_TRUE(executor_.finish("r1"));
  d.shutdown();
  const auto run = store_->runs().find("r1");
  ASSERT_TRUE(run);
  EXPECT_EQ(to_string(run->status), "success");
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_FALSE(run->error_message.has_value());
  EXPECT_EQ(run->results, (nlohmann::json{{"success", 1}}));
  EXPECT_TRUE(run->start_time.has_value());
  EXPECT_TRUE(run->end_time.has_value());
  EXPECT_EQ(store_->runs().count_active().running, 0);
}

// A cancel that lands while the loop is starting the run (between its read of the queue
// and marking the run running) must still take effect: the run is either cancelled while
// queued or found active and stopped, never neither. Races wake() against cancel() with a
// varying head start for the loop; a correct dispatcher passes every time.
TEST_F(Dispatcher, CancelRacingTheStartOfARunIsNeverLost) {
  runner::Dispatcher d(*store_, executor_, 1000);
  d.start();
  std::vector<std::string> refused;
  for (int i = 0; i < 300; ++i) {
    const std::string project = "p" + std::to_string(i);
    add_project(project);
    const std::string id = "race-" + std::to_string(i);
    queue(id, project);
    d.wake();
    std::atomic<int> spin{0};
    while (spin.fetch_add(1, std::memory_order_relaxed) < (i % 100) * 100) {
    }
    // The fake cannot end the run before it is released, so the run is active here.
    if (!d.cancel(id)) refused.push_back(id + " (" + status(id) + ")");
    executor_.release(id);
  }
  d.shutdown();
  EXPECT_TRUE(refused.empty()) << "cancel refused for " << refused.size() << " runs, e.g. " << refused.front();
  int not_cancelled = 0;
  for (int i = 0; i < 300; ++i) not_cancelled += status("race-" + std::to_string(i)) != "cancelled";
  EXPECT_EQ(not_cancelled, 0);
}


// A run's end that cannot be written (another process holds the database locked for many
// of the store's busy waits) stays owed: it is written once the lock goes, with the run's
// real status and end time, and the project's queue goes on. (It was logged and dropped,
// leaving the run `running` for good.)
TEST_F(Dispatcher, ARunEndKeptOutByAnOutsideLockIsWrittenOnceTheLockGoes) {
  reopen_store(100ms);
  add_project("shop");
  queue("r1", "shop");
  queue("r2", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));
  OutsideLock lock(db_path());
  ASSERT_TRUE(executor_.finish("r1"));  // dbt has ended
  std::this_thread::sleep_for(600ms);   // the stimulus: the lock lasts several busy waits
  EXPECT_EQ(status("r1"), "running") << "nothing can write while the lock is held";
  EXPECT_EQ(status("r2"), "queued");
  EXPECT_EQ(executor_.started(), (std::vector<std::string>{"r1"})) << "r2 waits for r1's end";
  const auto released_at = dagctl::common::now();
  lock.release();

  EXPECT_TRUE(eventually([&] { return status("r1") == "success"; }));
  const auto r1 = store_->runs().find("r1");
  ASSERT_TRUE(r1);
  ASSERT_TRUE(r1->end_time);
  EXPECT_LT(*r1->end_time, released_at) << "the end time is when dbt ended, not when it was written";
  ASSERT_TRUE(executor_.wait_started("r2"));
  ASSERT_TRUE(executor_.finish("r2"));
  d.shutdown();
  EXPECT_EQ(status("r2"), "success");
}

// If dagctld stops while a run's end is still owed, the run stays `running` in the store
// and the next start's recovery ends it `error`, as after a crash.
TEST_F(Dispatcher, ARunEndStillOwedAtShutdownIsEndedByTheNextStartsRecovery) {
  reopen_store(100ms);
  add_project("shop");
  queue("owed-at-stop", "shop");
  {
    runner::Dispatcher d(*store_, executor_, 1);
    start(d);
    ASSERT_TRUE(executor_.wait_started("owed-at-stop"));
    OutsideLock lock(db_path());
    ASSERT_TRUE(executor_.finish("owed-at-stop"));
    d.shutdown();  // returns: a stopping dispatcher gives the end up
    EXPECT_EQ(status("owed-at-stop"), "running");
  }
  EXPECT_EQ(runner::recover_interrupted_runs(*store_, 0ms), 1);
  const auto run = store_->runs().find("owed-at-stop");
  ASSERT_TRUE(run);
  EXPECT_EQ(to_string(run->status), "error");
  EXPECT_NE(run->error_message.value_or("").find("stopped unexpectedly"), std::string::npos)
      << run->error_message.value_or("");
}

// Starting a queued run needs a write (queued -> running): while another process holds the
// lock the dispatcher keeps trying (it used to die: "terminate called ... database is
// locked"), and a cancel answers StoreBusy (503) instead of doing half.
TEST_F(Dispatcher, AQueuedRunStartsOnceAnOutsideLockGoes) {
  reopen_store(100ms);
  add_project("shop");
  queue("r1", "shop");
  OutsideLock lock(db_path());
  runner::Dispatcher d(*store_, executor_, 1);
  EXPECT_THROW(d.cancel("r1"), store::StoreBusy);
  start(d);
  std::this_thread::sleep_for(500ms);  // the stimulus: the lock lasts several busy waits
  EXPECT_TRUE(executor_.started().empty());
  EXPECT_EQ(status("r1"), "queued");
  lock.release();
  ASSERT_TRUE(executor_.wait_started("r1"));
  ASSERT_TRUE(executor_.finish("r1"));
  d.shutdown();
  EXPECT_EQ(status("r1"), "success");
}
}  // namespace

// A log follower waits on run_ends() instead of sleeping, so its stream (and the CLI's
// `trigger --wait`) ends when the run does; a cancelled queued run counts too.
TEST_F(Dispatcher, RunEndsWakesWhoeverWaitsForARunToEnd) {
  add_project("shop");
  queue("r1", "shop");
  queue("r2", "shop");
  runner::Dispatcher d(*store_, executor_, 1);
  start(d);
  ASSERT_TRUE(executor_.wait_started("r1"));

  const std::uint64_t seen = d.run_ends().count();
  std::atomic<bool> woken{false};
  std::thread follower([&] {
    d.run_ends().wait(seen, std::chrono::seconds(30));  // far beyond the test's deadline
    woken = true;
  });
  EXPECT_TRUE(d.cancel("r2"));
  EXPECT_TRUE(eventually([&] { return woken.load(); })) << "cancelling a queued run ends it";
  follower.join();
  EXPECT_EQ(d.run_ends().count(), seen + 1);

  const std::uint64_t before_r1 = d.run_ends().count();
  ASSERT_TRUE(executor_.finish("r1"));
  EXPECT_TRUE(eventually([&] { return d.run_ends().count() == before_r1 + 1; }));
  d.run_ends().wait(before_r1, std::chrono::seconds(30));  // returns at once: r1 ended after `before_r1`
}

// Runs that end while the dispatcher is busy starting others (or joining finished ones)
// must not be forgotten: every queued run of two busy projects runs to its end. (A wake-up
// cleared after the join once left a project's last runs queued forever.)
TEST_F(Dispatcher, RunsEndingWhileTheDispatcherIsBusyAreNeverForgotten) {
  const std::vector<std::string> projects = {"shop", "blog", "wiki", "docs"};
  for (const auto& p : projects) add_project(p);
  std::vector<std::string> ids;
  for (int i = 0; i < 90; ++i) {  // a job's queue holds 100
    for (const auto& project : projects) {
      const std::string id = project + "-" + std::to_string(i);
      executor_.release(id);  // each finishes as soon as it starts
      queue(id, project);
      ids.push_back(id);
    }
  }
  runner::Dispatcher d(*store_, executor_, 2);
  start(d);
  const auto all_ended = [&] {
    return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) { return status(id) == "success"; });
  };
  EXPECT_TRUE(eventually(all_ended, std::chrono::seconds(30)))
      << "runs still queued: "
      << std::count_if(ids.begin(), ids.end(), [&](const std::string& id) { return status(id) == "queued"; });
}

// Several daemons (docs/runs.md, Several daemons): two dispatchers, each on its own store
// over one database file, act as two daemons sharing it.
class SeveralDispatchers : public Dispatcher {
protected:
  void SetUp() override {
    Dispatcher::SetUp();
    store_->set_owner({"dmn_a", 30s, 0});
    other_.emplace(db_path());
    other_->set_owner({"dmn_b", 30s, 0});
  }
  std::optional<store::Store> other_;
  FakeExecutor other_executor_;
};

TEST_F(SeveralDispatchers, EveryRunRunsOnceAndOnePerProjectAcrossDaemons) {
  const std::vector<std::string> projects = {"shop", "blog", "wiki", "docs"};
  for (const auto& p : projects) add_project(p);
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    for (const auto& project : projects) {
      const std::string id = project + "-" + std::to_string(i);
      executor_.release(id);
      other_executor_.release(id);
      queue(id, project);
      ids.push_back(id);
    }
  }
  runner::Dispatcher a(*store_, executor_, 2);
  runner::Dispatcher b(*other_, other_executor_, 2);
  start(a);
  start(b);
  const auto all_ended = [&] {
    return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) { return status(id) == "success"; });
  };
  EXPECT_TRUE(eventually(all_ended, std::chrono::seconds(60)));
  a.shutdown();
  b.shutdown();
  auto started = executor_.started();
  const auto more = other_executor_.started();
  started.insert(started.end(), more.begin(), more.end());
  std::sort(started.begin(), started.end());
  auto expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(started, expected) << "each run started exactly once, on one of the daemons";
  // At most one per project at each daemon (one daemon may have run them all); across the
  // daemons the store refuses a second (test_daemon_store_daemon_store.cpp).
  EXPECT_LE(executor_.max_running_per_project(), 1);
  EXPECT_LE(other_executor_.max_running_per_project(), 1);
}

TEST_F(SeveralDispatchers, ACancelAtTheOtherDaemonStopsTheRun) {
  add_project("shop");
  queue("r1", "shop");
  runner::Dispatcher a(*store_, executor_, 1);
  runner::Dispatcher b(*other_, other_executor_, 1);  // never started: it only forwards the cancel
  start(a);
  ASSERT_TRUE(executor_.wait_started("r1"));
  EXPECT_TRUE(b.cancel("r1"));
  ASSERT_TRUE(executor_.wait_ended("r1")) << "the owner sees the request within its 1 s look";
  EXPECT_EQ(executor_.reason("r1"), StopReason::cancelled);
  EXPECT_TRUE(eventually([&] { return status("r1") == "cancelled"; }));
  a.shutdown();
  EXPECT_FALSE(b.cancel("r1")) << "ended: nothing to cancel";
}

TEST_F(SeveralDispatchers, ALostDaemonsRunEndsErrorAndItsOwnerStopsItWithoutWritingItsEnd) {
  add_project("shop");
  queue("r1", "shop");
  queue("r2", "shop");
  store_->set_owner({"dmn_a", 3s, 0});
  runner::Dispatcher a(*store_, executor_, 1);
  start(a);  // no heartbeat at a: its lease of 3 s passes unrenewed
  ASSERT_TRUE(executor_.wait_started("r1"));
  {
    const auto t = dagctl::common::now();
    other_->daemons().register_daemon({"dmn_a", "host-a", 1, "0.1.0", "", t, t, std::nullopt, 0});
  }
  runner::Dispatcher b(*other_, other_executor_, 1);
  dagctl::daemon::app::Heartbeat b_heart(*other_, b, nullptr);
  const std::uint64_t ended_before = b.run_ends().count();
  EXPECT_TRUE(eventually(
      [&] {
        b_heart.beat_now();
        return status("r1") == "error";
      },
      std::chrono::seconds(15)));
  EXPECT_EQ(b.run_ends().count(), ended_before + 1);
  EXPECT_EQ(store_->runs().find("r1")->error_message, "daemon lost: dmn_a on host-a stopped renewing its lease");
  // a's heartbeat finds r1 no longer its own: its dbt is stopped, and its end is not written.
  dagctl::daemon::app::Heartbeat a_heart(*store_, a, nullptr);
  a_heart.beat_now();
  ASSERT_TRUE(executor_.wait_ended("r1"));
  EXPECT_EQ(executor_.reason("r1"), StopReason::daemon_stopped);
  ASSERT_TRUE(executor_.wait_started("r2")) << "the project's queue moves on";
  EXPECT_EQ(store_->runs().find("r1")->error_message, "daemon lost: dmn_a on host-a stopped renewing its lease");
  ASSERT_TRUE(executor_.finish("r2"));
  a.shutdown();
  EXPECT_EQ(status("r2"), "success");
}

TEST_F(SeveralDispatchers, StartUpRecoveryEndsOnlyThisDaemonsRuns) {
  add_project("shop");
  add_project("blog");
  queue("mine", "shop");
  queue("theirs", "blog");
  ASSERT_TRUE(store_->runs().mark_running("mine", dagctl::common::now()));
  ASSERT_TRUE(other_->runs().mark_running("theirs", dagctl::common::now()));
  EXPECT_EQ(runner::recover_interrupted_runs(*store_, 1s), 1);
  EXPECT_EQ(status("mine"), "error");
  EXPECT_EQ(status("theirs"), "running") << "another daemon's run ends through its lease";
}
