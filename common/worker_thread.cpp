#include "common/worker_thread.hpp"

#include <stdexcept>

#include "common/backoff.hpp"

namespace dagctl::common {

namespace {
// The worker whose body runs on this thread: its stop() from there must not wait for itself.
thread_local const WorkerThread* current_worker = nullptr;
}  // namespace

WorkerThread::WorkerThread(std::string name, Body body, LogSink log)
    : name_(std::move(name)), body_(std::move(body)), log_(std::move(log)) {}

WorkerThread::~WorkerThread() { stop(); }

void WorkerThread::start() {
  std::lock_guard join_lock(join_mutex_);
  std::lock_guard lock(mutex_);
  if (stopping_ || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void WorkerThread::wake() {
  {
    std::lock_guard lock(mutex_);
    wake_pending_ = true;
  }
  changed_.notify_all();
}

void WorkerThread::stop() {
  {
    // Set under the mutex: the loop checks it in its wait's predicate, so it cannot miss it.
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (current_worker == this) return;  // the loop ends after this pass
  std::lock_guard join_lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

void WorkerThread::loop() {
  current_worker = this;
  FailureLog failing(name_, log_);
  Backoff backoff;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Cleared before the pass: a wake during it runs the body once more.
    wake_pending_ = false;
    lock.unlock();
    std::optional<Clock::time_point> next;
    std::optional<std::chrono::milliseconds> pause;
    try {
      next = body_();
      failing.succeeded();
      backoff.reset();
    } catch (const std::exception& e) {
      failing.failed(e);
      pause = backoff.next();
    } catch (...) {
      failing.failed(std::runtime_error("an exception that is not a std::exception"));
      pause = backoff.next();
    }
    lock.lock();
    // A wake cuts a back-off short too: it says something changed (often the store was
    // just written to, so it works again). The delay still grows until a pass succeeds.
    const auto woken = [this] { return wake_pending_ || stopping_; };
    if (pause) {
      changed_.wait_for(lock, *pause, woken);
    } else if (next) {
      changed_.wait_until(lock, *next, woken);
    } else {
      changed_.wait(lock, woken);
    }
  }
}

}  // namespace dagctl::common
