// One HTTP request of the outbox's sender (docs/webhooks.md#retries-and-timeouts): to a
// host pinned to the addresses resolve() checked, with the sender's timeouts and TLS
// settings, reading at most a capped part of the answer.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/webhooks/sender_options.hpp"
#include "daemon/webhooks/target.hpp"

namespace dagctl::daemon::webhooks {

// What one request got back.
struct Answer {
  std::optional<int> status;
  std::string body;  // at most the cap asked for
  bool body_over_cap = false;
  std::string retry_after;
  std::optional<httplib::Error> error;  // set when no answer came
};

// Sends `method` ("GET" or "POST"; a POST's `body` is JSON) to `url`, connecting to
// `addresses` in turn while they refuse the connection: a name is pinned to the address
// that was checked, so a second DNS answer cannot send the request elsewhere. Reads at most
// `body_cap` bytes of the answer, and no longer than twice the timeout.
Answer request(const std::string& method, const Url& url, const std::vector<std::string>& addresses,
               httplib::Headers headers, const std::string& body, std::size_t body_cap,
               const SenderOptions& options);

// A transport failure in words for the delivery log.
std::string error_text(httplib::Error e);
// Whether retrying may help after `e` (a certificate that does not verify will not).
bool retryable(httplib::Error e);

}  // namespace dagctl::daemon::webhooks
