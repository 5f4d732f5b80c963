// Sender: delivers what the outbox stored (docs/webhooks.md). One thread waits for the next
// due delivery, and reads the outbox every second for what other daemons stored; each
// attempt runs on its own thread, at most a few at once, so a slow receiver never delays
// another one or the runner. Every attempt is recorded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/time.hpp"
#include "common/worker_thread.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/attempt.hpp"
#include "daemon/webhooks/sender_options.hpp"
#include "daemon/webhooks/target.hpp"

namespace dagctl::daemon::webhooks {

// The most of a receiver's answer kept in the delivery log, and of an Airflow token answer.
inline constexpr std::size_t kResponseExcerptBytes = 1024;
inline constexpr std::size_t kTokenResponseBytes = 64 * 1024;

// A Retry-After header (RFC 9110 §10.2.3: a number of seconds, or an HTTP-date such as
// "Wed, 21 Oct 2026 07:28:00 GMT") as a delay from `now`, clamped to 0..1 hour; nullopt
// when it is neither.
std::optional<std::chrono::seconds> parse_retry_after(const std::string& value, common::TimePoint now);

class Sender {
public:
  // `daemon_id` names this daemon in the claims it takes on deliveries: with several daemons
  // on one database each delivery is sent by the one that claimed it (docs/webhooks.md,
  // "Several daemons").
  Sender(store::Store& store, SenderOptions options, std::string daemon_id = "dmn_local");
  ~Sender();

  void start();
  // Look at the outbox again now (something was queued).
  void wake();
  // Stops starting attempts and waits for those in flight; pending deliveries stay
  // pending for the next start.
  void shutdown();

  // One attempt at a webhook `delivery` for `job`; no store access. Public for tests.
  AttemptOutcome attempt(const store::Delivery& delivery, const store::Job& job);
  // One attempt at a delivery of another kind (docs/webhooks.md#kinds-of-delivery): a plain
  // JSON POST to its URL, unsigned; OpenLineage's with the daemon's API key.
  AttemptOutcome attempt_plain(const store::Delivery& delivery, const store::Job& job);

private:
  // One read of the outbox on the worker's thread: starts an attempt for each due delivery
  // that fits, and returns when the next one is due. Throws when the outbox cannot be read
  // (the worker tries again with back-off).
  std::optional<common::Clock::time_point> pass();
  // One attempt at one delivery, recorded. Nothing a stored row holds can end the thread:
  // a row that cannot be used fails its delivery with the reason in the delivery log.
  void deliver(const store::Delivery& delivery, const store::DeliveryClaim& claim);
  AttemptOutcome send(const store::Delivery& delivery);
  // False when another daemon took the claim over (then nothing was written).
  bool record(const store::Delivery& delivery, const AttemptOutcome& outcome, const store::DeliveryClaim& claim);
  // How long a claim lasts: longer than any attempt (its requests are each bounded by the
  // timeout), so only a daemon that died mid-attempt lets it expire.
  std::chrono::milliseconds claim_length() const;
  // nullopt with `error` (and whether a retry may help) when no token could be had.
  std::optional<std::string> airflow_token(const nlohmann::json& auth, bool refresh, std::string& error,
                                           bool& retryable);

  store::Store& store_;
  SenderOptions options_;
  std::string daemon_id_;

  std::mutex mutex_;
  std::condition_variable changed_;  // the sender is stopping (an attempt's store retries wait on it)
  bool stopping_ = false;
  std::set<std::string> in_flight_;
  std::map<std::string, std::thread> workers_;
  std::vector<std::thread> finished_;
  // Deliveries whose outcome could not be written (the database was busy): left alone
  // until then instead of being picked again at once.
  std::map<std::string, common::TimePoint> held_;
  // Deliveries whose attempt ended since the loop last read the outbox: that read may
  // still show them pending, and they must not be sent twice.
  std::set<std::string> done_since_read_;

  struct CachedToken {
    std::string token;
    common::TimePoint expires_at;
  };
  std::mutex tokens_mutex_;
  std::map<std::string, CachedToken> tokens_;  // by token_url + username

  common::WorkerThread worker_;  // last: its thread uses everything above
};

}  // namespace dagctl::daemon::webhooks
