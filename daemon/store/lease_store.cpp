#include "daemon/store/lease_store.hpp"

namespace dagctl::daemon::store {

std::optional<std::int64_t> LeaseStore::try_acquire(const std::string& name, const std::string& holder,
                                                    std::chrono::milliseconds ttl, TimePoint now) {
  const std::int64_t until = common::to_millis(now) + ttl.count();
  WriteTx tx(db_);
  {
    auto first = tx.statement(
        "INSERT INTO leases (name, holder, until_ms, fence) VALUES (?, ?, ?, 1) ON CONFLICT (name) DO NOTHING");
    first->bind(1, name);
    first->bind(2, holder);
    first->bind(3, until);
    if (first->exec() == 1) {
      tx.commit();
      return 1;
    }
  }
  {
    // SET reads the row as it was: the fence grows only when the holder changes.
    auto take = tx.statement(
        "UPDATE leases SET until_ms = ?, fence = CASE WHEN holder = ? THEN fence ELSE fence + 1 END, holder = ? "
        "WHERE name = ? AND (holder = ? OR until_ms < ?)");
    take->bind(1, until);
    take->bind(2, holder);
    take->bind(3, holder);
    take->bind(4, name);
    take->bind(5, holder);
    take->bind(6, common::to_millis(now));
    if (take->exec() != 1) return std::nullopt;
  }
  std::int64_t fence = 0;
  {
    auto read = tx.statement("SELECT fence FROM leases WHERE name = ?");
    read->bind(1, name);
    read->executeStep();
    fence = read->getColumn("fence").getInt64();
  }
  tx.commit();
  return fence;
}

void LeaseStore::release(const std::string& name, const std::string& holder) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE leases SET until_ms = 0 WHERE name = ? AND holder = ?");
  s->bind(1, name);
  s->bind(2, holder);
  s->exec();
  tx.commit();
}

bool LeaseStore::holds(WriteTx& tx, const std::string& name, const std::string& holder, std::int64_t fence,
                       TimePoint now) {
  auto s = tx.statement(
      "UPDATE leases SET until_ms = until_ms WHERE name = ? AND holder = ? AND fence = ? AND until_ms >= ?");
  s->bind(1, name);
  s->bind(2, holder);
  s->bind(3, fence);
  s->bind(4, common::to_millis(now));
  return s->exec() == 1;
}

}  // namespace dagctl::daemon::store
