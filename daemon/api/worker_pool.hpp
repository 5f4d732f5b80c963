// WorkerPool: the HTTP listeners' task queue. httplib's ThreadPool starts all its threads at
// once and wakes them in turn, so after a few hundred requests every one of them has
// touched (and keeps resident) its stack: 7.5 MiB for 2 x 64 threads (docs/benchmarks.md).
// Here threads start only when every existing one is busy, and the most recently idle one
// takes the next request, so an idle daemon holds the stacks of its peak concurrency only.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dagctl::daemon::api {

class WorkerPool : public httplib::TaskQueue {
public:
  // At most `max_threads` requests are handled at once; more wait, in arrival order.
  explicit WorkerPool(size_t max_threads);
  ~WorkerPool() override;

  void enqueue(std::function<void()> fn) override;
  // Runs `fn` on an idle or a new thread and returns true, or returns false (and keeps
  // nothing) when all `max_threads` are busy: the caller decides what waits.
  bool try_enqueue(std::function<void()>& fn);
  // Lets queued requests finish, then joins every thread.
  void shutdown() override;

  size_t threads_started();
  size_t threads_idle();

private:
  struct Worker {
    std::condition_variable wake;
    std::function<void()> job;  // handed over by enqueue while the worker is idle
  };
  void work(Worker& self);
  // Gives `fn` to an idle or new thread; false when every thread is busy. May unlock.
  bool hand_over(std::function<void()>& fn, std::unique_lock<std::mutex>& lock);

  const size_t max_threads_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<Worker*> idle_;  // a stack: the back was idle most recently
  std::deque<std::function<void()>> pending_;
  bool stopping_ = false;
};

}  // namespace dagctl::daemon::api
