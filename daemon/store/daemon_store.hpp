// The daemons that share this database (docs/runs.md, Several daemons): each registers at
// start, beats while it lives and is marked stopped at a graceful stop. One whose heartbeat
// is older than its lease is lost: its runs end `error` once their leases pass.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/connection.hpp"

namespace dagctl::daemon::store {

struct DaemonRecord {
  std::string id;
  std::string host;
  std::int64_t pid = 0;
  std::string version;
  std::string api;  // its TCP listen address, or ""
  common::TimePoint started_at;
  common::TimePoint heartbeat_at;
  std::optional<common::TimePoint> stopped_at;
  int running = 0;  // runs it runs now
  std::chrono::milliseconds lease{std::chrono::seconds(30)};  // its --lease-seconds
};

class DaemonStore {
public:
  explicit DaemonStore(Connection& db) : db_(db) {}

  // Inserts the daemon or, started again on the same data dir, renews its row.
  void register_daemon(const DaemonRecord& daemon);
  void heartbeat(const std::string& id, common::TimePoint at);
  void mark_stopped(const std::string& id, common::TimePoint at);
  // The daemons not stopped, oldest start first, each with its running runs counted.
  std::vector<DaemonRecord> list();

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
