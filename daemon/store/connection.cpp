#include "daemon/store/connection.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "daemon/store/errors.hpp"
#include "daemon/store/postgres_engine.hpp"
#include "daemon/store/sqlite_engine.hpp"

namespace dagctl::daemon::store {

Connection::Connection(const StoreUrl& url, std::chrono::milliseconds busy_wait)
    : engine_(url.kind == StoreUrl::Kind::postgresql ? make_postgres_engine(url, busy_wait)
                                                     : make_sqlite_engine(url.sqlite_path, busy_wait)),
      busy_wait_(busy_wait),
      postgres_(url.kind == StoreUrl::Kind::postgresql) {}

Connection::Connection(const std::string& sqlite_path, std::chrono::milliseconds busy_wait)
    : engine_(make_sqlite_engine(sqlite_path, busy_wait)), busy_wait_(busy_wait) {}

Connection::~Connection() { statements_.clear(); }

CachedStatement::CachedStatement(Statement& statement, bool& in_use) : statement_(statement), in_use_(in_use) {
  statement_.reset();
  statement_.clearBindings();
  in_use_ = true;
}

CachedStatement::~CachedStatement() {
  statement_.reset();
  in_use_ = false;
}

void Session::forget_statements_if_reconnected() {
  if (connection_.engine_->reconnected()) connection_.statements_.clear();
}

CachedStatement Session::statement(const std::string& sql) {
  auto& cache = connection_.statements_;
  auto it = cache.find(sql);
  if (it == cache.end()) {
    it = cache.emplace(sql, std::make_unique<Connection::Cached>(
                                Connection::Cached{Statement(connection_.engine_->prepare(sql)), false}))
             .first;
  }
  // Two uses of one statement at once would step each other's rows: a bug in the store.
  if (it->second->in_use) throw std::logic_error("statement in use twice: " + sql);
  return CachedStatement(it->second->statement, it->second->in_use);
}

ReadLock::ReadLock(Connection& connection) : Session(connection) {
  lock_ = std::unique_lock(connection.mutex_);
  connection.engine_->begin_read();
  forget_statements_if_reconnected();
}

ReadLock::~ReadLock() { connection_.engine_->end_read(); }

WriteTx::WriteTx(Connection& connection) : Session(connection) {
  const auto deadline = std::chrono::steady_clock::now() + connection.busy_wait_;
  std::chrono::milliseconds pause{2};
  for (;;) {
    lock_ = std::unique_lock(connection.mutex_);
    if (connection.engine_->try_begin_write()) {
      open_ = true;
      forget_statements_if_reconnected();
      return;
    }
    lock_.unlock();
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      throw connection.postgres_ ? StoreBusy::write_lock_held(connection.busy_wait_) : StoreBusy::sqlite_locked();
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

// Rolled back while lock_ (a member of the base) is still held.
WriteTx::~WriteTx() {
  if (open_) connection_.engine_->rollback();
}

void WriteTx::commit() {
  connection_.engine_->commit();
  open_ = false;
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
