#include "daemon/store/log_store.hpp"

#include <algorithm>

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
      "ON CONFLICT (run_id, start_offset) DO UPDATE SET end_offset = excluded.end_offset, data = excluded.data "
      "WHERE excluded.end_offset > run_log_chunks.end_offset");
  s->bind(1, run_id);
  s->bind(2, static_cast<std::int64_t>(start));
  s->bind(3, static_cast<std::int64_t>(start + bytes.size()));
  s->bind(4, common::base64_encode(bytes));
  s->exec();
  tx.commit();
  return true;
}

std::string LogStore::read(const std::string& run_id, std::uint64_t from, std::size_t max_bytes) {
  if (max_bytes == 0) return "";
  // The range holding `from` starts at the greatest start_offset not past it (both lookups
  // walk the primary key). Base64 turns each 3 bytes into 4 characters: only the
  // characters from the group holding `from` on, and enough of them, are read.
  const std::uint64_t group_chars = (static_cast<std::uint64_t>(max_bytes) + 2) / 3 * 4 + 4;
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT start_offset, end_offset, "
      "substr(data, CAST(1 + (?2 - start_offset) / 3 * 4 AS INTEGER), CAST(?3 AS INTEGER)) AS part "
      "FROM run_log_chunks WHERE run_id = ?1 AND start_offset = "
      "(SELECT MAX(start_offset) FROM run_log_chunks WHERE run_id = ?1 AND start_offset <= ?2)");
  s->bind(1, run_id);
  s->bind(2, static_cast<std::int64_t>(from));
  s->bind(3, static_cast<std::int64_t>(group_chars));
  if (!s->executeStep()) return "";
  const auto start = static_cast<std::uint64_t>(s->getColumn("start_offset").getInt64());
  const auto end = static_cast<std::uint64_t>(s->getColumn("end_offset").getInt64());
  if (end <= from) return "";  // a gap, or the end: what follows is not stored yet
  const auto bytes = common::base64_decode(s->getColumn("part").getString());
  const std::size_t skip = static_cast<std::size_t>((from - start) % 3);
  if (!bytes || bytes->size() < skip) return "";  // not ours to serve
  return bytes->substr(skip, std::min<std::uint64_t>(max_bytes, end - from));
}

}  // namespace dagctl::daemon::store
