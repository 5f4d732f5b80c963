// Retrying a store call that failed in a background thread (a database another process
// holds locked, a full disk): the thread logs it once, pauses with back-off and tries
// again, and never dies of it (docs/architecture.md, "Store errors").
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "daemon/store/store.hpp"

namespace dagctl::daemon::store {

// 100 ms, doubling up to 5 s.
class Backoff {
public:
  static constexpr std::chrono::milliseconds kFirst{100};
  static constexpr std::chrono::milliseconds kMax{5000};

  std::chrono::milliseconds next() {
    const auto delay = delay_;
    delay_ = std::min(delay_ * 2, kMax);
    return delay;
  }
  void reset() { delay_ = kFirst; }

private:
  std::chrono::milliseconds delay_ = kFirst;
};

// Logs the first failure of `what` and its recovery, not every try in between: a lock held
// for an hour is two lines in the log, not thousands.
class FailureLog {
public:
  explicit FailureLog(std::string what) : what_(std::move(what)) {}

  void failed(const std::exception& e) {
    if (failures_++ == 0) spdlog::warn("{} failed: {}; trying again with back-off", what_, e.what());
  }
  void succeeded() {
    if (failures_ > 0) spdlog::info("{} worked after {} failed attempt(s)", what_, failures_);
    failures_ = 0;
  }
  int failures() const { return failures_; }

private:
  std::string what_;
  int failures_ = 0;
};

// Calls `op` until it returns without throwing. Between tries it calls `pause(delay)`,
// which waits and returns false when the caller is stopping: then it gives up and returns
// false. True once `op` succeeded. A failure that is not transient (is_transient) is
// thrown to the caller: trying it again would fail the same way.
template <typename Op, typename Pause>
bool retry_until_done(const std::string& what, Op&& op, Pause&& pause) {
  FailureLog log(what);
  Backoff backoff;
  for (;;) {
    try {
      op();
      log.succeeded();
      return true;
    } catch (const std::exception& e) {
      if (!is_transient(e)) throw;
      log.failed(e);
    }
    if (!pause(backoff.next())) {
      spdlog::warn("{}: given up after {} failed attempt(s): dagctld is stopping", what, log.failures());
      return false;
    }
  }
}

}  // namespace dagctl::daemon::store
