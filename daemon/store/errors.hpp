// What the store throws. Conflicts the user can fix (duplicate names, unknown ids, a full
// queue) are StoreError with a message meant for them; a write that another process's lock
// kept out for the whole busy wait is StoreBusy; anything else is a bug or a broken disk and
// propagates. daemon/service/errors.hpp turns the first two into the API's answers.
#pragma once

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

namespace dagctl::daemon::store {

class StoreError : public std::runtime_error {
public:
  enum class Kind { not_found, conflict, queue_full };
  StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

private:
  Kind kind_;
};

// Another process (e.g. `sqlite3 dagctl.db` in a transaction, another daemon) held the
// database's write lock for longer than the store waits. Not a StoreError: nothing about
// the request is wrong, the same call works once the lock is gone (the API answers 503).
// The same answer for a PostgreSQL store that cannot be reached (docs/scale-out.md).
// Each engine words it for its own store: an operator of a PostgreSQL store has no SQLite
// file to look for.
class StoreBusy : public std::runtime_error {
public:
  explicit StoreBusy(const std::string& message) : std::runtime_error(message) {}
  // SQLite: the file's write lock.
  static StoreBusy sqlite_locked() {
    return StoreBusy("the database is locked by another process (an open sqlite3 session or a "
                     "backup in a transaction?); try again");
  }
  // PostgreSQL: the store's write lock (an advisory lock) held by another daemon.
  static StoreBusy write_lock_held(std::chrono::milliseconds waited) {
    return StoreBusy("another daemon held the store's write lock for " + std::to_string(waited.count()) +
                     " ms; try again");
  }
};

// A store that cannot be opened at start (a SQLite file in a missing or read-only folder,
// a PostgreSQL server that refuses): dagctld exits 2 with this message, which names the
// store and the reason (docs/scale-out.md).
class StoreOpenError : public std::runtime_error {
public:
  explicit StoreOpenError(const std::string& message) : std::runtime_error(message) {}
};

// A statement either engine refused. `unique_violation`: a UNIQUE or PRIMARY KEY
// constraint (the stores turn it into a conflict); `transient`: it may work again later.
class DatabaseError : public std::runtime_error {
public:
  DatabaseError(const std::string& message, bool unique_violation, bool transient)
      : std::runtime_error(message), unique_violation_(unique_violation), transient_(transient) {}
  bool unique_violation() const { return unique_violation_; }
  bool transient() const { return transient_; }

private:
  bool unique_violation_;
  bool transient_;
};

// True for a failure that can go away by itself: another process's lock (StoreBusy), a full
// or failing disk. A constraint, or a row that cannot be read, fails the same way each time.
bool is_transient(const std::exception& e);

}  // namespace dagctl::daemon::store
