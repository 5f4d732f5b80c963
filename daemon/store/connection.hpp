// The daemon's one SQLite connection, shared by every store (project_store, job_store,
// run_store, delivery_store, token_store). A mutex serialises it; a statement is used only
// while a ReadLock or WriteTx holds that mutex, which is why statements are reached
// through them. Prepared statements are cached per connection, keyed by their SQL.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dagctl::daemon::store {

class Connection {
public:
  // A write waits up to `busy_wait` for a lock another process holds on the database,
  // letting other callers use the connection meanwhile; then it throws StoreBusy.
  Connection(const std::string& database_path, std::chrono::milliseconds busy_wait);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

private:
  friend class Session;
  friend class ReadLock;
  friend class WriteTx;

  struct Cached {
    SQLite::Statement statement;
    bool in_use = false;
  };

  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
  std::chrono::milliseconds busy_wait_;
  // Declared after db_: every statement is finalized before the database closes.
  std::map<std::string, std::unique_ptr<Cached>, std::less<>> statements_;
};

// A cached statement for one use: reset with its bindings cleared when taken, and reset
// again when given back, so no read snapshot outlives the call that stepped it.
class CachedStatement {
public:
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  ~CachedStatement();
  SQLite::Statement* operator->() { return &statement_; }
  SQLite::Statement& operator*() { return statement_; }

private:
  friend class Session;
  CachedStatement(SQLite::Statement& statement, bool& in_use);
  SQLite::Statement& statement_;
  bool& in_use_;
};

// The connection's mutex, held for this object's life; the only way to run SQL.
class Session {
public:
  // The cached statement for `sql`, prepared on first use. One use of a given SQL at a time.
  CachedStatement statement(const std::string& sql);

protected:
  explicit Session(Connection& connection) : connection_(connection) {}
  Connection& connection_;
  std::unique_lock<std::mutex> lock_;
};

// Reads need no transaction: each statement sees a consistent snapshot (WAL).
class ReadLock : public Session {
public:
  explicit ReadLock(Connection& connection);
};

// A BEGIN IMMEDIATE transaction; rolled back unless commit() is called. SQLite's own busy
// handler would hold the connection (and so every other caller) for the whole wait.
// Instead each BEGIN IMMEDIATE fails at once while another process holds the write lock,
// and the wait between tries happens outside the mutex: reads (which WAL lets through) and
// other callers go on meanwhile. After the connection's busy wait: StoreBusy.
class WriteTx : public Session {
public:
  explicit WriteTx(Connection& connection);
  void commit() { tx_->commit(); }
  // PostgreSQL: a transaction-scoped advisory lock on name; SQLite: BEGIN IMMEDIATE already serializes.
  void serialize(std::string_view /*name*/) {}

private:
  bool begin();
  std::optional<SQLite::Transaction> tx_;  // a member of the derived class: rolled back while lock_ is still held
};

// Of `names`, those the query (`SELECT 1 FROM table WHERE id = ?`) finds no row for. A few
// hundred lookups per lock: triggers and the dispatcher never wait long behind it.
std::vector<std::string> unknown_ids(Connection& connection, const std::string& query,
                                     const std::vector<std::string>& names);

}  // namespace dagctl::daemon::store
