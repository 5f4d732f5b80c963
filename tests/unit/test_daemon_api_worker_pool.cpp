// Tests for daemon/api/worker_pool: the HTTP listeners' task queue. Requests one after
// another reuse one thread (an idle daemon keeps few stacks resident); concurrent ones get
// threads up to the cap, then wait in order; shutdown finishes what was queued.
#include "daemon/api/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using dagctl::daemon::api::WorkerPool;
using dagctl::test::eventually;

// A gate jobs wait at until the test opens it.
class Gate {
public:
  void wait() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  int waiting() {
    std::lock_guard lock(mutex_);
    return waiting_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

// What the requests did, in the order they did it (they run on several threads).
class Recorder {
public:
  void add(int i) {
    std::lock_guard lock(mutex_);
    seen_.push_back(i);
  }
  std::vector<int> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

private:
  std::mutex mutex_;
  std::vector<int> seen_;
};

TEST(WorkerPool, SequentialRequestsReuseOneThread) {
  WorkerPool pool(64);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) {
    pool.enqueue([&] {
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
      ++done;
    });
    // The next request comes once this one is answered and its thread is back (a client's
    // next request after reading the answer).
    ASSERT_TRUE(eventually([&] { return done == i + 1 && pool.threads_idle() == 1; }));
  }
  EXPECT_EQ(pool.threads_started(), 1u);
  EXPECT_EQ(threads.size(), 1u);
}

TEST(WorkerPool, ConcurrentRequestsGetThreadsUpToTheCapThenWait) {
  WorkerPool pool(3);
  Gate gate;
  Recorder ran;
  for (int i = 0; i < 6; ++i) {
    pool.enqueue([&, i] {
      if (i < 3) gate.wait();
      ran.add(i);
    });
  }
  ASSERT_TRUE(eventually([&] { return gate.waiting() == 3; }));
  EXPECT_EQ(pool.threads_started(), 3u);
  EXPECT_TRUE(ran.seen().empty()) << "requests beyond the cap wait for a free thread";
  gate.open();
  ASSERT_TRUE(eventually([&] { return ran.seen().size() == 6; }));
  const auto order = ran.seen();
  std::set<int> all(order.begin(), order.end());
  EXPECT_EQ(all, (std::set<int>{0, 1, 2, 3, 4, 5})) << "every waiting request ran once a thread was free";
  EXPECT_EQ(pool.threads_started(), 3u);
}

// One thread runs the waiting requests one by one, so their order shows: arrival order.
TEST(WorkerPool, WaitingRequestsRunInArrivalOrder) {
  WorkerPool pool(1);
  Gate gate;
  Recorder ran;
  pool.enqueue([&] { gate.wait(); });
  for (int i = 0; i < 5; ++i) pool.enqueue([&, i] { ran.add(i); });
  ASSERT_TRUE(eventually([&] { return gate.waiting() == 1; }));
  gate.open();
  ASSERT_TRUE(eventually([&] { return ran.seen().size() == 5; }));
  const auto order = ran.seen();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(WorkerPool, ShutdownRunsWhatIsQueuedAndJoins) {
  std::atomic<int> done{0};
  Gate gate;
  {
    WorkerPool pool(1);
    pool.enqueue([&] {
      gate.wait();
      ++done;
    });
    for (int i = 0; i < 5; ++i) pool.enqueue([&] { ++done; });
    ASSERT_TRUE(eventually([&] { return gate.waiting() == 1; }));
    std::thread opener([&] { gate.open(); });
    pool.shutdown();
    opener.join();
    EXPECT_EQ(done, 6);
  }  // the destructor after shutdown is harmless
  EXPECT_EQ(done, 6);
}

}  // namespace

namespace {

// A request whose streaming answer throws (httplib does not catch those) ends only itself.
TEST(WorkerPool, AThrowingRequestDoesNotEndItsThreadOrTheDaemon) {
  WorkerPool pool(1);
  std::atomic<int> done{0};
  pool.enqueue([] { throw std::runtime_error("the run was deleted mid-stream"); });
  pool.enqueue([&] { ++done; });
  EXPECT_TRUE(eventually([&] { return done == 1; }));
  EXPECT_EQ(pool.threads_started(), 1u);
}

}  // namespace
