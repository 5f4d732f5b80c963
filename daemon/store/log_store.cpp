#include "daemon/store/log_store.hpp"

#include "common/crypto.hpp"

namespace dagctl::daemon::store {

bool LogStore::append(const std::string& run_id, std::uint64_t start, std::string_view bytes) {
  if (bytes.empty()) return true;
  WriteTx tx(db_);
  {
    // Fenced: a run that ended, or that a lost daemon's reaper gave away, keeps its log.
    auto run = tx.statement("SELECT status, daemon_id FROM runs WHERE id = ?");
    run->bind(1, run_id);
    if (!run->executeStep()) return false;
    const bool mine = run->getColumn("daemon_id").isNull() || run->getColumn("daemon_id").getString() == owner_.daemon_id;
    if (run->getColumn("status").getString() != "running" || !mine) return false;
  }
  auto s = tx.statement(
      "INSERT INTO run_log_chunks (run_id, start_offset, end_offset, data) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (run_id, start_offset) DO NOTHING");
  s->bind(1, run_id);
  s->bind(2, static_cast<std::int64_t>(start));
  s->bind(3, static_cast<std::int64_t>(start + bytes.size()));
  s->bind(4, common::base64_encode(bytes));
  s->exec();
  tx.commit();
  return true;
}

std::string LogStore::read(const std::string& run_id, std::uint64_t from, std::size_t max_bytes) {
  std::string out;
  ReadLock lock(db_);
  // The chunk holding `from` starts at the greatest start_offset not past it; both lookups
  // walk the primary key.
  auto s = lock.statement(
      "SELECT start_offset, end_offset, data FROM run_log_chunks WHERE run_id = ?1 AND start_offset >= "
      "(SELECT COALESCE(MAX(start_offset), 0) FROM run_log_chunks WHERE run_id = ?1 AND start_offset <= ?2) "
      "ORDER BY start_offset LIMIT 8");
  s->bind(1, run_id);
  s->bind(2, static_cast<std::int64_t>(from));
  std::uint64_t position = from;
  while (out.size() < max_bytes && s->executeStep()) {
    const auto start = static_cast<std::uint64_t>(s->getColumn("start_offset").getInt64());
    const auto end = static_cast<std::uint64_t>(s->getColumn("end_offset").getInt64());
    if (start > position) break;  // a gap: what follows is not stored yet
    if (end <= position) continue;
    const auto bytes = common::base64_decode(s->getColumn("data").getString());
    if (!bytes || bytes->size() != end - start) break;  // not ours to serve
    const std::size_t skip = static_cast<std::size_t>(position - start);
    const std::size_t take = std::min(bytes->size() - skip, max_bytes - out.size());
    out.append(*bytes, skip, take);
    position += take;
  }
  return out;
}

}  // namespace dagctl::daemon::store
