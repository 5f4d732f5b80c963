#include "daemon/store/connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "daemon/store/database.hpp"
#include "daemon/store/errors.hpp"

namespace dagctl::daemon::store {

namespace {

bool is_busy(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;  // the primary code of an extended one
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

}  // namespace

bool is_transient(const std::exception& e) {
  if (dynamic_cast<const StoreBusy*>(&e)) return true;
  const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e);
  if (!sqlite) return false;
  switch (sqlite->getErrorCode() & 0xff) {
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM: case SQLITE_READONLY: case SQLITE_IOERR:
    case SQLITE_FULL: case SQLITE_CANTOPEN: case SQLITE_PROTOCOL: case SQLITE_SCHEMA:
      return true;
    default:
      return false;
  }
}

Connection::Connection(const std::string& database_path, std::chrono::milliseconds busy_wait)
    : db_(open_database(database_path)), busy_wait_(busy_wait) {
  // Reads wait this long too (WAL seldom makes them wait at all).
  db_->setBusyTimeout(static_cast<int>(busy_wait_.count()));
}

CachedStatement::CachedStatement(SQLite::Statement& statement, bool& in_use) : statement_(statement), in_use_(in_use) {
  statement_.reset();
  statement_.clearBindings();
  in_use_ = true;
}

CachedStatement::~CachedStatement() {
  statement_.tryReset();
  in_use_ = false;
}

CachedStatement Session::statement(const std::string& sql) {
  auto& cache = connection_.statements_;
  auto it = cache.find(sql);
  if (it == cache.end()) {
    it = cache.emplace(sql, std::make_unique<Connection::Cached>(
                                Connection::Cached{SQLite::Statement(*connection_.db_, sql), false}))
             .first;
  }
  // Two uses of one statement at once would step each other's rows: a bug in the store.
  if (it->second->in_use) throw std::logic_error("statement in use twice: " + sql);
  return CachedStatement(it->second->statement, it->second->in_use);
}

ReadLock::ReadLock(Connection& connection) : Session(connection) { lock_ = std::unique_lock(connection.mutex_); }

WriteTx::WriteTx(Connection& connection) : Session(connection) {
  const auto deadline = std::chrono::steady_clock::now() + connection.busy_wait_;
  std::chrono::milliseconds pause{2};
  for (;;) {
    lock_ = std::unique_lock(connection.mutex_);
    if (begin()) return;
    lock_.unlock();
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) throw StoreBusy();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

bool WriteTx::begin() {
  SQLite::Database& db = *connection_.db_;
  const auto busy_wait = static_cast<int>(connection_.busy_wait_.count());
  db.setBusyTimeout(0);
  try {
    tx_.emplace(db, SQLite::TransactionBehavior::IMMEDIATE);
  } catch (const SQLite::Exception& e) {
    db.setBusyTimeout(busy_wait);
    if (is_busy(e)) return false;
    throw;
  }
  db.setBusyTimeout(busy_wait);
  return true;
}

std::vector<std::string> unknown_ids(Connection& connection, const std::string& query,
                                     const std::vector<std::string>& names) {
  constexpr size_t kChunk = 500;
  std::vector<std::string> out;
  for (size_t at = 0; at < names.size(); at += kChunk) {
    ReadLock lock(connection);
    auto s = lock.statement(query);
    for (size_t i = at; i < std::min(names.size(), at + kChunk); ++i) {
      s->reset();
      s->bind(1, names[i]);
      if (!s->executeStep()) out.push_back(names[i]);
    }
  }
  return out;
}

}  // namespace dagctl::daemon::store
