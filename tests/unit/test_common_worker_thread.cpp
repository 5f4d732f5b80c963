// Tests for common/worker_thread: wakes are never lost, stop() is safe however it is
// called, a failing body backs off and logs once per streak, and the body's next time is
// kept. Every wait is on a condition with a deadline; meant to run under ThreadSanitizer too
// (scripts/test-tsan).
#include "common/worker_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using dagctl::common::LogLevel;
using dagctl::common::WorkerThread;
using dagctl::test::kDeadline;
using SteadyClock = std::chrono::steady_clock;
using WallClock = dagctl::common::Clock;

// State the body and the test share, and a way to wait for it to change.
class Shared {
public:
  template <typename F>
  void update(F f) {
    {
      std::lock_guard lock(mutex_);
      f();
    }
    changed_.notify_all();
  }
  // True when `pred` held before the deadline.
  template <typename Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds deadline = kDeadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, pred);
  }
  template <typename F>
  auto read(F f) {
    std::lock_guard lock(mutex_);
    return f();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

// Collects what the worker logs; wait_for(n) waits until n lines came.
class LogLines {
public:
  dagctl::common::LogSink sink() {
    return [this](LogLevel level, const std::string& line) { shared_.update([&] { lines_.emplace_back(level, line); }); };
  }
  std::vector<std::pair<LogLevel, std::string>> wait_for(std::size_t n) {
    EXPECT_TRUE(shared_.wait_for([&] { return lines_.size() >= n; })) << "fewer than " << n << " log lines";
    return shared_.read([&] { return lines_; });
  }

private:
  Shared shared_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

TEST(WorkerThread, RunsOnceAtStartAndAgainOnAWake) {
  Shared shared;
  int passes = 0;
  WorkerThread worker("test", [&]() -> std::optional<WallClock::time_point> {
    shared.update([&] { ++passes; });
    return std::nullopt;
  }, {});
  worker.start();
  ASSERT_TRUE(shared.wait_for([&] { return passes == 1; }));
  worker.wake();
  ASSERT_TRUE(shared.wait_for([&] { return passes == 2; }));
  worker.stop();
  EXPECT_EQ(shared.read([&] { return passes; }), 2);
}

// The lost wake-up one copy of the loop had: a wake that lands while the body runs (after
// it read its state) must run the body once more.
TEST(WorkerThread, AWakeWhileTheBodyRunsRunsItAgain) {
  Shared shared;
  int passes = 0;
  bool release = false;
  WorkerThread worker("mid-pass", [&]() -> std::optional<WallClock::time_point> {
    shared.update([&] { ++passes; });
    shared.wait_for([&] { return release || passes > 1; });
    return std::nullopt;
  }, {});
  worker.start();
  ASSERT_TRUE(shared.wait_for([&] { return passes == 1; }));
  worker.wake();  // the first pass is still running
  shared.update([&] { release = true; });
  EXPECT_TRUE(shared.wait_for([&] { return passes == 2; })) << "the wake during the pass was lost";
  worker.stop();
}

// Each waker counts a request, then wakes. A pass reads the count when it starts; a wake
// that came while a pass ran must cause another pass, so the last pass sees every request.
// A lost wake leaves the last requests unseen until the deadline.
TEST(WorkerThread, AWakeIsNeverLostUnderAStormFromSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr int kWakesEach = 2000;
  std::atomic<int> requested{0};
  Shared shared;
  int seen = 0;
  int passes = 0;
  WorkerThread worker("storm", [&]() -> std::optional<WallClock::time_point> {
    const int now_requested = requested.load();
    std::this_thread::yield();  // widen the window in which a wake lands mid-pass
    shared.update([&] {
      seen = now_requested;
      ++passes;
    });
    return std::nullopt;
  }, {});
  worker.start();
  std::vector<std::thread> wakers;
  for (int t = 0; t < kThreads; ++t) {
    wakers.emplace_back([&] {
      for (int i = 0; i < kWakesEach; ++i) {
        requested.fetch_add(1);
        worker.wake();
      }
    });
  }
  for (auto& t : wakers) t.join();
  EXPECT_TRUE(shared.wait_for([&] { return seen == kThreads * kWakesEach; }))
      << "the last pass saw " << shared.read([&] { return seen; }) << " of " << kThreads * kWakesEach;
  worker.stop();
  // Wakes that come during one pass are one more pass, not one each.
  EXPECT_LE(shared.read([&] { return passes; }), kThreads * kWakesEach + 1);
}

TEST(WorkerThread, StopWaitsForThePassInProgressWhichSeesStopping) {
  Shared shared;
  bool entered = false;
  bool release = false;
  bool saw_stopping = false;
  int passes = 0;
  WorkerThread* self = nullptr;
  WorkerThread worker("busy", [&]() -> std::optional<WallClock::time_point> {
    shared.update([&] {
      entered = true;
      ++passes;
    });
    shared.wait_for([&] { return release; });
    saw_stopping = self->stopping();
    return std::nullopt;
  }, {});
  self = &worker;
  worker.start();
  ASSERT_TRUE(shared.wait_for([&] { return entered; }));
  auto stopped = std::async(std::launch::async, [&] { worker.stop(); });
  ASSERT_TRUE(dagctl::test::eventually([&] { return worker.stopping(); }));
  // The body has not been released: stop() cannot have returned.
  EXPECT_EQ(stopped.wait_for(0s), std::future_status::timeout);
  shared.update([&] { release = true; });
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(saw_stopping);
  EXPECT_EQ(shared.read([&] { return passes; }), 1);  // no pass after a stop
}

TEST(WorkerThread, StopIsSafeTwiceFromSeveralThreadsBeforeStartAndFromTheDestructor) {
  int passes = 0;
  {
    WorkerThread never_started("idle", [&]() -> std::optional<WallClock::time_point> {
      ++passes;
      return std::nullopt;
    }, {});
    never_started.stop();
    never_started.stop();
    never_started.start();  // stopped: does not start
    never_started.wake();
  }
  EXPECT_EQ(passes, 0);

  Shared shared;
  int runs = 0;
  WorkerThread worker("twice", [&]() -> std::optional<WallClock::time_point> {
    shared.update([&] { ++runs; });
    return std::nullopt;
  }, {});
  worker.start();
  worker.start();  // a second start is ignored
  ASSERT_TRUE(shared.wait_for([&] { return runs == 1; }));
  std::vector<std::thread> stoppers;
  for (int i = 0; i < 3; ++i) stoppers.emplace_back([&] { worker.stop(); });
  for (auto& t : stoppers) t.join();
  worker.stop();
  worker.wake();  // after a stop: nothing runs, nothing breaks
  EXPECT_EQ(shared.read([&] { return runs; }), 1);
}  // the destructor stops it once more

TEST(WorkerThread, TheBodyMayStopItsOwnWorker) {
  Shared shared;
  int passes = 0;
  WorkerThread* self = nullptr;
  {
    WorkerThread worker("self-stop", [&]() -> std::optional<WallClock::time_point> {
      self->stop();  // must not wait for itself
      shared.update([&] { ++passes; });
      return WallClock::now();  // would run again at once, but it is stopping
    }, {});
    self = &worker;
    worker.start();
    ASSERT_TRUE(shared.wait_for([&] { return passes == 1; }));
  }  // the destructor joins the thread
  EXPECT_EQ(passes, 1);
}

TEST(WorkerThread, AFailingBodyBacksOffLogsOncePerStreakAndLogsItsRecovery) {
  Shared shared;
  std::vector<SteadyClock::time_point> calls;
  int fail_next = 3;
  bool recovered = false;
  LogLines log;
  WorkerThread worker("reading the outbox", [&]() -> std::optional<WallClock::time_point> {
    bool fail = false;
    shared.update([&] {
      calls.push_back(SteadyClock::now());
      fail = fail_next > 0;
      if (fail) --fail_next;
    });
    if (fail) throw std::runtime_error("database is locked");
    shared.update([&] { recovered = true; });
    return std::nullopt;
  }, log.sink());
  worker.start();
  ASSERT_TRUE(shared.wait_for([&] { return recovered; }));
  const auto times = shared.read([&] { return calls; });
  ASSERT_EQ(times.size(), 4u);
  // 100 ms, doubling (common/backoff.hpp); never sooner.
  EXPECT_GE(times[1] - times[0], 100ms);
  EXPECT_GE(times[2] - times[1], 200ms);
  EXPECT_GE(times[3] - times[2], 400ms);
  auto lines = log.wait_for(2);  // the recovery is logged once the body has returned
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].first, LogLevel::warn);
  EXPECT_EQ(lines[0].second, "reading the outbox failed: database is locked; trying again with back-off");
  EXPECT_EQ(lines[1].first, LogLevel::info);
  EXPECT_EQ(lines[1].second, "reading the outbox worked after 3 failed attempt(s)");

  // A new streak starts again at 100 ms, with one more warning.
  shared.update([&] {
    fail_next = 1;
    recovered = false;
  });
  worker.wake();
  ASSERT_TRUE(shared.wait_for([&] { return recovered; }));
  const auto again = shared.read([&] { return calls; });
  ASSERT_EQ(again.size(), 6u);
  EXPECT_GE(again[5] - again[4], 100ms);
  EXPECT_LT(again[5] - again[4], 200ms + kDeadline);
  lines = log.wait_for(4);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2].first, LogLevel::warn);
  EXPECT_EQ(lines[3].second, "reading the outbox worked after 1 failed attempt(s)");
}

TEST(WorkerThread, AWakeCutsABackOffShort) {
  Shared shared;
  int calls = 0;
  WorkerThread worker("failing", [&]() -> std::optional<WallClock::time_point> {
    int n = 0;
    shared.update([&] { n = ++calls; });
    // The pause after the 7th failure is 5 s: only a wake brings the 8th sooner.
    if (n < 8) throw std::runtime_error("still failing");
    return std::nullopt;
  }, {});
  worker.start();
  ASSERT_TRUE(shared.wait_for([&] { return calls == 1; }));
  for (int i = 2; i <= 8; ++i) {
    worker.wake();
    ASSERT_TRUE(shared.wait_for([&] { return calls >= i; }, 4s)) << "call " << i;
  }
}

TEST(WorkerThread, TheBodysNextTimeIsKeptAndAWakeComesFirst) {
  Shared shared;
  std::vector<WallClock::time_point> started;
  std::vector<WallClock::time_point> asked;
  WorkerThread worker("timed", [&]() -> std::optional<WallClock::time_point> {
    std::optional<WallClock::time_point> next;
    shared.update([&] {
      started.push_back(WallClock::now());
      if (started.size() == 1) next = WallClock::now() + 150ms;  // then a pass at that time
      if (started.size() == 2) next = WallClock::now() + 1h;     // then only a wake comes sooner
      if (next) asked.push_back(*next);
    });
    return next;
  }, {});
  worker.start();
  ASSERT_TRUE(shared.wait_for([&] { return started.size() == 2; }));
  EXPECT_GE(shared.read([&] { return started[1]; }), shared.read([&] { return asked[0]; }));
  worker.wake();
  ASSERT_TRUE(shared.wait_for([&] { return started.size() == 3; }));
  worker.stop();  // neither waits for the hour nor for a wake
  EXPECT_EQ(shared.read([&] { return started.size(); }), 3u);
}

}  // namespace
