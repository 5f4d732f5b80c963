#include "daemon/store/delivery_store.hpp"

#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

const std::string kSelect =
    "SELECT seq, id, kind, job_id, run_id, event, url, body, status, attempts, next_attempt_at, created_at, "
    "finished_at, last_error FROM deliveries";

Delivery read_delivery(Statement& s) {
  Delivery d;
  d.seq = s.getColumn("seq").getInt64();
  d.id = s.getColumn("id").getString();
  d.kind = s.getColumn("kind").getString();
  d.job_id = s.getColumn("job_id").getString();
  d.run_id = sql::opt_text(s.getColumn("run_id"));
  d.event = s.getColumn("event").getString();
  d.url = s.getColumn("url").getString();
  d.body = s.getColumn("body").getString();
  d.status = s.getColumn("status").getString();
  d.attempts = s.getColumn("attempts").getInt();
  d.next_attempt_at = sql::time(s.getColumn("next_attempt_at"));
  d.created_at = sql::time(s.getColumn("created_at"));
  d.finished_at = sql::opt_time(s.getColumn("finished_at"));
  d.last_error = sql::opt_text(s.getColumn("last_error"));
  return d;
}

std::vector<Delivery> read_deliveries(Statement& s) {
  std::vector<Delivery> out;
  while (s.executeStep()) out.push_back(read_delivery(s));
  return out;
}

DeliveryAttempt read_attempt(Statement& s) {
  DeliveryAttempt a;
  a.at = sql::time(s.getColumn("at"));
  a.status_code = sql::opt_int(s.getColumn("status_code"));
  a.latency_ms = s.getColumn("latency_ms").getInt64();
  a.error = sql::opt_text(s.getColumn("error"));
  a.response_excerpt = s.getColumn("response_excerpt").getString();
  return a;
}

}  // namespace

void DeliveryStore::insert(WriteTx& tx, const Delivery& d) {
  auto s = tx.statement(
      "INSERT INTO deliveries (id, job_id, run_id, event, url, body, status, attempts, "
      "next_attempt_at, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)");
  s->bind(1, d.id);
  s->bind(2, d.job_id);
  sql::bind_opt(*s, 3, d.run_id);
  s->bind(4, d.event);
  s->bind(5, d.url);
  s->bind(6, d.body);
  s->bind(7, d.status);
  s->bind(8, common::to_millis(d.next_attempt_at));
  s->bind(9, common::to_millis(d.created_at));
  s->bind(10, d.kind);
  s->exec();
}

void DeliveryStore::insert(const Delivery& d) {
  WriteTx tx(db_);
  insert(tx, d);
  tx.commit();
}

std::optional<Delivery> DeliveryStore::find(const std::string& id) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE id = ?");
  s->bind(1, id);
  if (!s->executeStep()) return std::nullopt;
  return read_delivery(*s);
}

std::vector<Delivery> DeliveryStore::due(TimePoint now, int limit, const std::string& holder) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect +
                          " WHERE status = 'pending' AND next_attempt_at <= ? AND "
                          "(claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?) "
                          "ORDER BY next_attempt_at, seq LIMIT ?");
  s->bind(1, common::to_millis(now));
  s->bind(2, common::to_millis(now));
  s->bind(3, holder);
  s->bind(4, limit);
  return read_deliveries(*s);
}

std::optional<TimePoint> DeliveryStore::next_due() {
  ReadLock lock(db_);
  auto s = lock.statement("SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'");
  s->executeStep();
  return sql::opt_time(s->getColumn("due"));
}

std::optional<DeliveryClaim> DeliveryStore::claim(const std::string& delivery_id, const std::string& holder,
                                                  TimePoint now, TimePoint until) {
  // One statement decides: under PostgreSQL's READ COMMITTED a second UPDATE of the row waits
  // for the first and then finds the claim running.
  WriteTx tx(db_);
  auto s = tx.statement(
      "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'pending' AND "
      "next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)");
  const DeliveryClaim taken{holder, common::to_millis(until)};
  s->bind(1, holder);
  s->bind(2, taken.until_ms);
  s->bind(3, delivery_id);
  s->bind(4, common::to_millis(now));
  s->bind(5, common::to_millis(now));
  s->bind(6, holder);
  if (s->exec() != 1) return std::nullopt;
  tx.commit();
  return taken;
}

bool DeliveryStore::record_attempt(const std::string& delivery_id, const DeliveryAttempt& a,
                                   const std::string& status, TimePoint next_attempt_at,
                                   const std::optional<std::string>& last_error,
                                   const std::optional<DeliveryClaim>& claim) {
  WriteTx tx(db_);
  {
    // The delivery first: with a claim, a row another daemon claimed since is left alone.
    auto update = tx.statement(
        std::string("UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, "
                    "last_error = ?, finished_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ?") +
        (claim ? " AND claimed_by = ? AND claimed_until = ?" : ""));
    update->bind(1, status);
    update->bind(2, common::to_millis(next_attempt_at));
    sql::bind_opt(*update, 3, last_error);
    if (status == "pending") {
      update->bind(4);
    } else {
      update->bind(4, common::to_millis(a.at));
    }
    update->bind(5, delivery_id);
    if (claim) {
      update->bind(6, claim->holder);
      update->bind(7, claim->until_ms);
    }
    if (update->exec() != 1 && claim) return false;
  }
  auto insert = tx.statement(
      "INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, error, "
      "response_excerpt) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, delivery_id);
  insert->bind(2, common::to_millis(a.at));
  sql::bind_opt(*insert, 3, a.status_code);
  insert->bind(4, a.latency_ms);
  sql::bind_opt(*insert, 5, a.error);
  insert->bind(6, a.response_excerpt);
  insert->exec();
  tx.commit();
  return true;
}

std::vector<Delivery> DeliveryStore::list(const std::string& job_id, int limit) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE job_id = ? ORDER BY seq DESC LIMIT ?");
  s->bind(1, job_id);
  s->bind(2, limit);
  return read_deliveries(*s);
}

std::vector<DeliveryAttempt> DeliveryStore::attempts(const std::string& delivery_id) {
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT at, status_code, latency_ms, error, response_excerpt FROM delivery_attempts "
      "WHERE delivery_id = ? ORDER BY id");
  s->bind(1, delivery_id);
  std::vector<DeliveryAttempt> out;
  while (s->executeStep()) out.push_back(read_attempt(*s));
  return out;
}

bool DeliveryStore::requeue(const std::string& id, TimePoint now) {
  WriteTx tx(db_);
  auto s = tx.statement(
      "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL WHERE id = ?");
  s->bind(1, common::to_millis(now));
  s->bind(2, id);
  const bool changed = s->exec() == 1;
  tx.commit();
  return changed;
}

void DeliveryStore::retarget(const std::string& id, const std::string& url, const std::string& body) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE deliveries SET url = ?, body = ? WHERE id = ?");
  s->bind(1, url);
  s->bind(2, body);
  s->bind(3, id);
  s->exec();
  tx.commit();
}

}  // namespace dagctl::daemon::store
