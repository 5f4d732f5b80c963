#include "daemon/store/daemon_store.hpp"

#include "daemon/store/live_twin.hpp"
#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

std::optional<std::string> live_twin(const std::vector<DaemonRecord>& daemons, const std::string& id,
                                     const std::string& host, std::int64_t pid, common::TimePoint now,
                                     std::chrono::milliseconds lease,
                                     const std::function<bool(std::int64_t)>& is_live_daemon_here) {
  for (const auto& d : daemons) {
    if (d.id != id || d.stopped_at || now - d.heartbeat_at >= lease) continue;
    if (d.host == host && (d.pid == pid || !is_live_daemon_here(d.pid))) continue;  // this daemon's last life
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - d.heartbeat_at).count();
    return "another daemon uses this daemon id " + id + ": pid " + std::to_string(d.pid) + " on " + d.host +
           ", heartbeat " + std::to_string(age) + "s ago. Was this data dir copied? Remove its file daemon-id to "
           "make this daemon a new one (docs/runs.md, Several daemons)";
  }
  return std::nullopt;
}

void DaemonStore::register_daemon(const DaemonRecord& d) {
  WriteTx tx(db_);
  auto s = tx.statement(
      "INSERT INTO daemons (id, host, pid, version, started_at, heartbeat_at, stopped_at, api, lease_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
      "version = excluded.version, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
      "stopped_at = NULL, api = excluded.api, lease_ms = excluded.lease_ms");
  s->bind(1, d.id);
  s->bind(2, d.host);
  s->bind(3, d.pid);
  s->bind(4, d.version);
  s->bind(5, common::to_millis(d.started_at));
  s->bind(6, common::to_millis(d.heartbeat_at));
  s->bind(7, d.api);
  s->bind(8, static_cast<std::int64_t>(d.lease.count()));
  s->exec();
  tx.commit();
}

void DaemonStore::heartbeat(const std::string& id, common::TimePoint at) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE daemons SET heartbeat_at = ? WHERE id = ?");
  s->bind(1, common::to_millis(at));
  s->bind(2, id);
  s->exec();
  tx.commit();
}

void DaemonStore::mark_stopped(const std::string& id, common::TimePoint at) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE daemons SET stopped_at = ? WHERE id = ?");
  s->bind(1, common::to_millis(at));
  s->bind(2, id);
  s->exec();
  tx.commit();
}

std::vector<DaemonRecord> DaemonStore::list() {
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT id, host, pid, version, api, started_at, heartbeat_at, stopped_at, lease_ms, "
      "(SELECT count(*) FROM runs WHERE runs.daemon_id = daemons.id AND runs.status = 'running') AS running "
      "FROM daemons WHERE stopped_at IS NULL ORDER BY started_at, id");
  std::vector<DaemonRecord> out;
  while (s->executeStep()) {
    DaemonRecord d;
    d.id = s->getColumn("id").getString();
    d.host = s->getColumn("host").getString();
    d.pid = s->getColumn("pid").getInt64();
    d.version = s->getColumn("version").getString();
    d.api = s->getColumn("api").getString();
    d.started_at = sql::time(s->getColumn("started_at"));
    d.heartbeat_at = sql::time(s->getColumn("heartbeat_at"));
    d.stopped_at = sql::opt_time(s->getColumn("stopped_at"));
    d.running = s->getColumn("running").getInt();
    d.lease = std::chrono::milliseconds(s->getColumn("lease_ms").getInt64());
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace dagctl::daemon::store
