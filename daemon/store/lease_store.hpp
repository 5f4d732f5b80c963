// Named leases on the shared database: the one daemon that fires schedules (docs/schedules.md,
// "Several daemons") and the one that prunes runs hold one. A lease has a holder, an expiry
// and a fence number that grows each time a new holder takes it; a write that only the
// holder may make checks, in its own transaction, that the holder still holds that fence.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

class LeaseStore {
public:
  explicit LeaseStore(Connection& db) : db_(db) {}

  // Takes lease `name` for `holder` until now + ttl when it is free or expired, or renews it
  // when `holder` holds it already. Returns the fence (the same while one holder keeps it);
  // nullopt while another holder's lease runs.
  std::optional<std::int64_t> try_acquire(const std::string& name, const std::string& holder,
                                          std::chrono::milliseconds ttl, TimePoint now);
  // Lets another holder take it at once (a stopping daemon); the fence row stays.
  void release(const std::string& name, const std::string& holder);

  // Inside the caller's transaction: true while `holder` holds `name` with `fence` and it has
  // not expired at `now`. It writes the lease row (unchanged), so on PostgreSQL a takeover
  // waits for the caller's transaction to end.
  static bool holds(WriteTx& tx, const std::string& name, const std::string& holder, std::int64_t fence,
                    TimePoint now);

private:
  Connection& db_;
};

// A lease as its holder last took it: what fenced writes check.
struct Fence {
  std::string lease;
  std::string holder;
  std::int64_t number = 0;
};

}  // namespace dagctl::daemon::store
