// One attempt at a delivery as it goes (docs/webhooks.md#retries-and-timeouts): when it
// started, and the outcome it ends with, timed when it ends. Every kind's send function
// fills one.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/time.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::webhooks {

// How one attempt went, before it is recorded.
struct AttemptOutcome {
  store::DeliveryAttempt attempt;
  bool delivered = false;
  bool retryable = false;
  std::optional<std::chrono::seconds> retry_after;  // from a 429's or 503's Retry-After
};

class Attempt {
public:
  explicit Attempt(common::TimePoint at) { out.attempt.at = at; }

  // The outcome so far, with the attempt's latency.
  AttemptOutcome finish() {
    out.attempt.latency_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
    return out;
  }
  // Ends the attempt with `error` (retryable only if `out.retryable` was set).
  AttemptOutcome refuse(std::string error) {
    out.attempt.error = std::move(error);
    return finish();
  }

  AttemptOutcome out;

private:
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace dagctl::daemon::webhooks
