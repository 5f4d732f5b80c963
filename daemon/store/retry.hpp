// Retrying a store call that failed in a background thread (a database another process
// holds locked, a full disk): the thread logs it once, pauses with back-off and tries
// again, and never dies of it (docs/architecture.md, "Store errors").
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <string>

#include "common/backoff.hpp"
#include "common/failure_log.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon::store {

// Where the daemon's background threads log a failure streak (common/failure_log.hpp).
inline void log_to_spdlog(common::LogLevel level, const std::string& line) {
  if (level == common::LogLevel::warn) {
    spdlog::warn("{}", line);
  } else {
    spdlog::info("{}", line);
  }
}

// Calls `op` until it returns without throwing. Between tries it calls `pause(delay)`,
// which waits and returns false when the caller is stopping: then it gives up and returns
// false. True once `op` succeeded. A failure that is not transient (is_transient) is
// thrown to the caller: trying it again would fail the same way.
template <typename Op, typename Pause>
bool retry_until_done(const std::string& what, Op&& op, Pause&& pause) {
  common::FailureLog log(what, log_to_spdlog);
  common::Backoff backoff;
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
