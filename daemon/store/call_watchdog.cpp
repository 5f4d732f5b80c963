#include "daemon/store/call_watchdog.hpp"

#include <sys/socket.h>

namespace dagctl::daemon::store {

CallWatchdog::CallWatchdog(std::chrono::milliseconds bound) : bound_(bound), thread_([this] { loop(); }) {}

CallWatchdog::~CallWatchdog() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CallWatchdog::begin(int fd) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    fd_ = fd;
    ++call_;
    since_ = std::chrono::steady_clock::now();
    cut_ = false;
  }
  wake_.notify_all();
}

bool CallWatchdog::end() noexcept {
  std::lock_guard<std::mutex> guard(mutex_);
  fd_ = -1;  // under the mutex: once end() returns, the socket is never touched again
  return cut_;
}

bool CallWatchdog::last_cut() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return cut_;
}

void CallWatchdog::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (fd_ < 0) {
      wake_.wait(lock);
      continue;
    }
    const std::uint64_t call = call_;
    const auto deadline = since_ + bound_;
    if (wake_.wait_until(lock, deadline, [&] { return stop_ || fd_ < 0 || call_ != call; })) continue;
    // The same call, still waiting at its deadline.
    ::shutdown(fd_, SHUT_RDWR);
    cut_ = true;
    fd_ = -1;
  }
}

}  // namespace dagctl::daemon::store
