// How the outbox's sender delivers (dagctld's --webhook-* settings, docs/daemon.md).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/time.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/webhooks/target.hpp"

namespace dagctl::daemon::webhooks {

struct SenderOptions {
  int retries = 1;  // after the first attempt, for timeouts, connection errors, 5xx and 429
  std::chrono::milliseconds retry_delay{2000};
  std::chrono::seconds timeout{10};
  std::string ca_bundle;  // PEM file of trusted CAs for https; empty: the system's
  std::string user_agent;
  int max_in_flight = 8;
  metrics::Metrics* metrics = nullptr;  // counts each attempt's outcome (docs/metrics.md)
  TargetPolicy targets;  // checked again at each attempt, after DNS (docs/webhooks.md)
  // What time it is when deliveries come due, attempts are stamped and tokens expire; the
  // waits between passes are real (for as long as this clock says). Tests give a fake one.
  std::function<common::TimePoint()> clock = common::now;
  // DAGCTL_OPENLINEAGE_API_KEY: sent as a bearer token with OpenLineage events (docs/openlineage.md).
  std::string openlineage_api_key;
};

}  // namespace dagctl::daemon::webhooks
