#include "daemon/store/sqlite_engine.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "daemon/store/database.hpp"
#include "daemon/store/errors.hpp"

namespace dagctl::daemon::store {

namespace {

bool is_busy(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;  // the primary code of an extended one
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

bool transient(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM: case SQLITE_READONLY: case SQLITE_IOERR:
    case SQLITE_FULL: case SQLITE_CANTOPEN: case SQLITE_PROTOCOL: case SQLITE_SCHEMA:
      return true;
    default:
      return false;
  }
}

// Why SQLite could not open `path`, in words that point at the fix: SQLite itself says
// only "unable to open database file".
std::string why_unopenable(const std::string& path, const std::string& sqlite_says) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path file(path);
  const fs::path folder = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (!fs::exists(folder, ec)) return "its folder " + folder.string() + " does not exist";
  if (!fs::is_directory(folder, ec)) return folder.string() + " is not a folder";
  if (fs::is_directory(file, ec)) return "it is a folder, not a file";
  // WAL keeps two files beside the database: the folder must be writable too.
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return "its folder " + folder.string() + " is not writable (" + std::strerror(errno) + ")";
  }
  if (fs::exists(file, ec) && ::access(path.c_str(), R_OK | W_OK) != 0) {
    return "the file is not readable and writable (" + std::string(std::strerror(errno)) + ")";
  }
  return sqlite_says;
}

std::unique_ptr<SQLite::Database> open_or_say_why(const std::string& path) {
  try {
    return open_database(path);
  } catch (const SQLite::Exception& e) {
    throw StoreOpenError("cannot open the SQLite store " + path + ": " + why_unopenable(path, e.what()));
  }
}

[[noreturn]] void rethrow(const SQLite::Exception& e) {
  const bool unique = e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE ||
                      e.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY;
  throw DatabaseError(e.what(), unique, transient(e.getErrorCode()));
}

class SqliteStatement final : public StatementEngine {
public:
  SqliteStatement(SQLite::Database& db, const std::string& sql) try : statement_(db, sql) {
  } catch (const SQLite::Exception& e) {
    rethrow(e);
  }

  int parameter_index(const std::string& name) override {
    return statement_.getIndex(name.c_str());
  }

  void execute(const std::vector<Value>& parameters) override {
    try {
      statement_.reset();
      statement_.clearBindings();
      for (std::size_t i = 0; i < parameters.size(); ++i) {
        const int index = static_cast<int>(i + 1);
        std::visit(
            [&](const auto& v) {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::monostate>) {
                statement_.bind(index);
              } else {
                statement_.bind(index, v);
              }
            },
            parameters[i]);
      }
    } catch (const SQLite::Exception& e) {
      rethrow(e);
    }
  }

  bool next_row() override {
    try {
      return statement_.executeStep();
    } catch (const SQLite::Exception& e) {
      rethrow(e);
    }
  }

  Value column(int index) override { return value(statement_.getColumn(index)); }
  Value column(const char* name) override { return value(statement_.getColumn(name)); }
  int changes() override { return statement_.getChanges(); }
  void reset() noexcept override { statement_.tryReset(); }

private:
  static Value value(const SQLite::Column& c) {
    switch (c.getType()) {
      case SQLITE_NULL: return std::monostate{};
      case SQLITE_INTEGER: return static_cast<std::int64_t>(c.getInt64());
      case SQLITE_FLOAT: return c.getDouble();
      default: return c.getString();
    }
  }

  SQLite::Statement statement_;
};

class SqliteEngine final : public ConnectionEngine {
public:
  SqliteEngine(const std::string& path, std::chrono::milliseconds busy_wait)
      : db_(open_or_say_why(path)), busy_wait_(static_cast<int>(busy_wait.count())) {
    // Reads wait this long too (WAL seldom makes them wait at all).
    db_->setBusyTimeout(busy_wait_);
  }

  std::unique_ptr<StatementEngine> prepare(const std::string& sql) override {
    return std::make_unique<SqliteStatement>(*db_, sql);
  }
  void begin_read() override {}
  void end_read() noexcept override {}

  // SQLite's own busy handler would hold the connection (and so every other caller) for
  // the whole wait: BEGIN IMMEDIATE fails at once instead, and the Connection waits.
  bool try_begin_write() override {
    db_->setBusyTimeout(0);
    try {
      db_->exec("BEGIN IMMEDIATE");
    } catch (const SQLite::Exception& e) {
      db_->setBusyTimeout(busy_wait_);
      if (is_busy(e)) return false;
      rethrow(e);
    }
    db_->setBusyTimeout(busy_wait_);
    return true;
  }
  void commit() override {
    try {
      db_->exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rethrow(e);
    }
  }
  void rollback() noexcept override {
    try {
      db_->exec("ROLLBACK");
    } catch (...) {
      // Nothing was open (SQLite rolled back by itself after an I/O error).
    }
  }
  bool reconnected() override { return false; }

private:
  std::unique_ptr<SQLite::Database> db_;
  int busy_wait_;
};

}  // namespace

std::unique_ptr<ConnectionEngine> make_sqlite_engine(const std::string& path, std::chrono::milliseconds busy_wait) {
  return std::make_unique<SqliteEngine>(path, busy_wait);
}

}  // namespace dagctl::daemon::store
