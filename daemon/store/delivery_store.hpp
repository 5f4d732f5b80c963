// Webhook deliveries (the outbox) and the log of their attempts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

// A sender's claim on a delivery: its daemon and until when (each claim's own value).
struct DeliveryClaim {
  std::string holder;
  std::int64_t until_ms = 0;
};

class DeliveryStore {
public:
  explicit DeliveryStore(Connection& db) : db_(db) {}

  void insert(const Delivery& delivery);
  std::optional<Delivery> find(const std::string& id);
  // Pending deliveries due at `now`, oldest first; none that another daemon than `holder`
  // has claimed (docs/webhooks.md, "Several daemons").
  std::vector<Delivery> due(TimePoint now, int limit, const std::string& holder = "");
  // When the next pending delivery is due; nullopt when none is pending.
  std::optional<TimePoint> next_due();
  // Claims a due pending delivery for `holder` until `until` when no other daemon's claim
  // runs at `now`. Returns the claim (what record_attempt checks); nullopt when it is not
  // due, not pending, or another daemon's.
  std::optional<DeliveryClaim> claim(const std::string& delivery_id, const std::string& holder, TimePoint now,
                                     TimePoint until);
  // Records one attempt and the delivery's new state together, and ends the claim. With a
  // claim, only while the delivery is still so claimed: a sender whose claim another
  // daemon took over writes nothing and gets false.
  bool record_attempt(const std::string& delivery_id, const DeliveryAttempt& attempt, const std::string& status,
                      TimePoint next_attempt_at, const std::optional<std::string>& last_error,
                      const std::optional<DeliveryClaim>& claim = std::nullopt);
  std::vector<Delivery> list(const std::string& job_id, int limit);
  std::vector<DeliveryAttempt> attempts(const std::string& delivery_id);
  // Makes a delivery pending again, due now, with its retries renewed (a manual resend keeps
  // its id; the attempt log keeps every earlier attempt).
  bool requeue(const std::string& id, TimePoint now);
  // The job's URL changed while the delivery was owed: it goes to `url` with `body` now.
  void retarget(const std::string& id, const std::string& url, const std::string& body);

  // Inserts a delivery inside the caller's transaction (a run's end and the webhook it owes).
  static void insert(WriteTx& tx, const Delivery& delivery);

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
