// A run's log kept in the store while it runs (docs/scale-out.md#logs-and-artifacts), so
// that any daemon sharing the store can serve it: byte ranges of the run's output.log,
// written by the daemon running it, removed with the run (ON DELETE CASCADE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/store/connection.hpp"
#include "daemon/store/owner.hpp"

namespace dagctl::daemon::store {

class LogStore {
public:
  // Writes act for `owner`'s daemon (owner.hpp).
  LogStore(Connection& db, const Owner& owner) : db_(db), owner_(owner) {}

  // Stores `bytes` as the log's range starting at byte `start`. Fenced like node records:
  // false, and nothing written, unless the run is running on this daemon (its status and
  // daemon, not its lease: a daemon whose lease lapsed writes until a reaper ends the run).
  // A write retried after its commit went unseen may start at the same byte and be longer
  // (the file grew meanwhile; it holds the same bytes first): the longer range is kept.
  bool append(const std::string& run_id, std::uint64_t start, std::string_view bytes);
  // Up to `max_bytes` of the stored log from byte `from`, from one stored range at most
  // (read again from where it ends); "" when nothing is stored there (yet). Only the part
  // asked for leaves the database.
  std::string read(const std::string& run_id, std::uint64_t from, std::size_t max_bytes);

private:
  Connection& db_;
  const Owner& owner_;
};

}  // namespace dagctl::daemon::store
