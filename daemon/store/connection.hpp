// The daemon's one database connection, shared by every store (project_store, job_store,
// run_store, ...), on SQLite or PostgreSQL (docs/scale-out.md#the-store). A mutex
// serialises it; a statement is used only while a ReadLock or WriteTx holds that mutex,
// which is why statements are reached through them. Prepared statements are cached per
// connection, keyed by their SQL.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/statement.hpp"
#include "daemon/store/store_url.hpp"

namespace dagctl::daemon::store {

// What an engine does with its connection.
class ConnectionEngine {
public:
  virtual ~ConnectionEngine() = default;
  virtual std::unique_ptr<StatementEngine> prepare(const std::string& sql) = 0;
  virtual void begin_read() = 0;
  virtual void end_read() noexcept = 0;
  // Starts the write transaction; false (and no transaction) when another connection
  // holds the write lock now (SQLite; PostgreSQL waits for it, up to the busy wait).
  // Writes are serialised across every daemon of a store.
  virtual bool try_begin_write() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // True once the engine has dropped a connection: cached statements are prepared again.
  virtual bool reconnected() = 0;
};

class Connection {
public:
  // A write waits up to `busy_wait` for a lock another process holds on the database,
  // letting other callers use the connection meanwhile; then it throws StoreBusy.
  Connection(const StoreUrl& url, std::chrono::milliseconds busy_wait);
  Connection(const std::string& sqlite_path, std::chrono::milliseconds busy_wait);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool postgres() const { return postgres_; }

private:
  friend class Session;
  friend class ReadLock;
  friend class WriteTx;

  struct Cached {
    Statement statement;
    bool in_use = false;
  };

  std::mutex mutex_;
  std::unique_ptr<ConnectionEngine> engine_;
  std::chrono::milliseconds busy_wait_;
  bool postgres_ = false;
  // Declared after engine_: every statement is finalized before the connection closes.
  std::map<std::string, std::unique_ptr<Cached>, std::less<>> statements_;
};

// A cached statement for one use: reset with its bindings cleared when taken, and reset
// again when given back, so no read snapshot outlives the call that stepped it.
class CachedStatement {
public:
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  ~CachedStatement();
  Statement* operator->() { return &statement_; }
  Statement& operator*() { return statement_; }

private:
  friend class Session;
  CachedStatement(Statement& statement, bool& in_use);
  Statement& statement_;
  bool& in_use_;
};

// The connection's mutex, held for this object's life; the only way to run SQL.
class Session {
public:
  // The cached statement for `sql`, prepared on first use. One use of a given SQL at a time.
  CachedStatement statement(const std::string& sql);
  bool postgres() const { return connection_.postgres_; }

protected:
  explicit Session(Connection& connection) : connection_(connection) {}
  void forget_statements_if_reconnected();
  Connection& connection_;
  std::unique_lock<std::mutex> lock_;
};

// Reads need no transaction: each statement sees a consistent snapshot (SQLite's WAL,
// PostgreSQL's autocommit).
class ReadLock : public Session {
public:
  explicit ReadLock(Connection& connection);
  ~ReadLock();
};

// A write transaction, rolled back unless commit() is called. Writes are serialised:
// SQLite's BEGIN IMMEDIATE, PostgreSQL's transaction-scoped advisory lock, so a read
// followed by a write in one WriteTx sees no other daemon's write in between. On SQLite
// each try fails at once while another process holds the lock, and the wait between tries
// happens outside the mutex, so reads and other callers go on meanwhile; PostgreSQL wakes
// the waiter the moment the lock is free. After the connection's busy wait: StoreBusy.
class WriteTx : public Session {
public:
  explicit WriteTx(Connection& connection);
  ~WriteTx();
  void commit();
  // Writes are serialised already (above); kept so that a check-then-write names what it
  // must not race with.
  void serialize(std::string_view /*name*/) {}

private:
  bool open_ = false;
};

// Of `names`, those the query (`SELECT 1 FROM table WHERE id = ?`) finds no row for. A few
// hundred lookups per lock: triggers and the dispatcher never wait long behind it.
std::vector<std::string> unknown_ids(Connection& connection, const std::string& query,
                                     const std::vector<std::string>& names);

}  // namespace dagctl::daemon::store
