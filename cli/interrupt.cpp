#include "cli/interrupt.hpp"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace dagctl::cli {

SignalWatch::SignalWatch() {
  sigemptyset(&watched_);
  sigaddset(&watched_, SIGINT);
  sigaddset(&watched_, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &watched_, &previous_);
}

SignalWatch::~SignalWatch() {
  const timespec zero{};
  while (sigtimedwait(&watched_, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

SignalEvent SignalWatch::next(std::chrono::milliseconds timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  const timespec wait{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  const int sig = sigtimedwait(&watched_, nullptr, &wait);
  if (sig == SIGINT) return SignalEvent::interrupt;
  if (sig == SIGWINCH) return SignalEvent::resize;
  return SignalEvent::none;  // the timeout (EAGAIN) or another signal's interruption (EINTR)
}

}  // namespace dagctl::cli
