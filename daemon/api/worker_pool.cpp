#include "daemon/api/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <system_error>

namespace dagctl::daemon::api {

WorkerPool::WorkerPool(size_t max_threads) : max_threads_(max_threads == 0 ? 1 : max_threads) {}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::enqueue(std::function<void()> fn) {
  std::unique_lock lock(mutex_);
  // Under the same lock as the hand-over: a worker going idle meanwhile still sees it.
  if (!hand_over(fn, lock)) pending_.push_back(std::move(fn));
}

bool WorkerPool::try_enqueue(std::function<void()>& fn) {
  std::unique_lock lock(mutex_);
  return hand_over(fn, lock);
}

bool WorkerPool::hand_over(std::function<void()>& fn, std::unique_lock<std::mutex>& lock) {
  if (!idle_.empty()) {
    Worker* worker = idle_.back();  // its stack pages are the ones already resident
    idle_.pop_back();
    worker->job = std::move(fn);
    lock.unlock();
    worker->wake.notify_one();
    return true;
  }
  if (threads_.size() < max_threads_) {
    auto& worker = *workers_.emplace_back(std::make_unique<Worker>());
    try {
      threads_.emplace_back([this, &worker] { work(worker); });
      worker.job = std::move(fn);  // under the lock: the new thread sees it when it starts
      return true;
    } catch (const std::system_error& e) {
      workers_.pop_back();
      // Out of threads: the request waits for a running one, if there is any.
      if (threads_.empty()) throw;
      spdlog::warn("HTTP worker: cannot start another thread ({}); the request waits", e.what());
    }
  }
  return false;
}

void WorkerPool::work(Worker& self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!self.job && !pending_.empty()) {
      self.job = std::move(pending_.front());
      pending_.pop_front();
    }
    if (self.job) {
      auto job = std::move(self.job);
      self.job = nullptr;
      lock.unlock();
      try {
        job();
      } catch (const std::exception& e) {
        // httplib catches a handler's exceptions, but not those of a streaming content
        // provider: one failed request must not end the daemon.
        spdlog::error("HTTP worker: a request failed: {}", e.what());
      } catch (...) {
        spdlog::error("HTTP worker: a request failed");
      }
      lock.lock();
      continue;
    }
    if (stopping_) return;
    idle_.push_back(&self);
    self.wake.wait(lock, [&] { return self.job || stopping_; });
    if (!self.job) {  // stopping: leave the idle stack (nobody hands us work any more)
      std::erase(idle_, &self);
    }
  }
}

void WorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto* worker : idle_) worker->wake.notify_one();
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

size_t WorkerPool::threads_idle() {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

size_t WorkerPool::threads_started() {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

}  // namespace dagctl::daemon::api
