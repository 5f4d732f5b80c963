#include "daemon/store/postgres_engine.hpp"

#include <pqxx/pqxx>

#include <set>
#include <stdexcept>

#include "daemon/store/call_watchdog.hpp"
#include "daemon/store/database.hpp"
#include "daemon/store/errors.hpp"
#include "daemon/store/postgres_schema.hpp"
#include "daemon/store/postgres_sql.hpp"

namespace dagctl::daemon::store {

namespace {

// Advisory lock keys: every write transaction of every daemon, and schema migration.
constexpr long long kWriteLock = 0x6461676374'01;
constexpr long long kMigrateLock = 0x6461676374'02;

// A store call that waits longer than the busy wait (the longest a lock wait may last:
// lock_timeout) plus this margin has a frozen server on the other end (docs/scale-out.md).
constexpr std::chrono::seconds kAnswerMargin{10};
// After a connection attempt failed, calls fail at once for this long instead of each
// waiting out connect_timeout in turn behind the connection's mutex.
constexpr std::chrono::seconds kReconnectPause{2};

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return text.substr(0, std::min<std::size_t>(end == std::string::npos ? text.size() : end, 300));
}

// libpq's defaults, unless the URL says otherwise: give up connecting after 5 s, name the
// daemon in pg_stat_activity, and notice a silent peer.
std::string conninfo_of(const StoreUrl& url) {
  std::string info = url.conninfo;
  char sep = info.find('?') == std::string::npos ? '?' : '&';
  // Keepalives and a TCP user timeout: a store behind a network split that sends no reset
  // is noticed in seconds, not after the kernel's 15 minutes (ignored on a Unix socket).
  for (const char* param : {"connect_timeout=5", "application_name=dagctld", "keepalives_idle=5",
                            "keepalives_interval=2", "keepalives_count=3", "tcp_user_timeout=10000"}) {
    const std::string key = std::string(param).substr(0, std::string(param).find('=') + 1);
    if (info.find(key) != std::string::npos) continue;
    info += sep;
    info += param;
    sep = '&';
  }
  return info;
}

// The engine makes connections again itself (connect()); libpqxx 6 would otherwise make
// one again inside a call, on a socket the watchdog does not know.
void no_reactivation(pqxx::connection& conn) {
#include <pqxx/internal/ignore-deprecated-pre.hxx>
  conn.inhibit_reactivation(true);
#include <pqxx/internal/ignore-deprecated-post.hxx>
}

// The schema forward, under a session lock so that daemons starting together migrate once.
void migrate_postgres(pqxx::connection& conn) {
  const auto run = [&conn](const std::string& sql) {
    pqxx::nontransaction t(conn);
    return t.exec(sql);
  };
  run("SELECT pg_advisory_lock(" + std::to_string(kMigrateLock) + ")");  // held by the session
  struct Unlock {
    const decltype(run)& exec;
    ~Unlock() {
      try {
        exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrateLock) + ")");
      } catch (...) {
        // The lock goes with the connection.
      }
    }
  } unlock{run};
  run("CREATE TABLE IF NOT EXISTS dagctl_schema (version BIGINT NOT NULL)");
  const auto row = run("SELECT max(version) FROM dagctl_schema");
  int version = row[0][0].is_null() ? 0 : row[0][0].as<int>();
  if (version > current_schema_version()) {
    throw std::runtime_error("the PostgreSQL store has schema version " + std::to_string(version) +
                             ", newer than this dagctld (" + std::to_string(current_schema_version()) +
                             "); upgrade dagctld");
  }
  const auto step = [&](std::string_view sql, int to) {
    pqxx::work tx(conn);
    tx.exec(std::string(sql));
    tx.exec("DELETE FROM dagctl_schema");
    tx.exec("INSERT INTO dagctl_schema (version) VALUES (" + std::to_string(to) + ")");
    tx.commit();
    version = to;
  };
  if (version == 0) step(kPostgresBaseline, kPostgresBaselineVersion);
  while (version < current_schema_version()) step(migration(version), version + 1);
}

class PostgresEngine;

class PostgresStatement final : public StatementEngine {
public:
  PostgresStatement(PostgresEngine& engine, std::string name, PostgresSql sql)
      : engine_(engine), name_(std::move(name)), sql_(std::move(sql)) {}

  int parameter_index(const std::string& name) override {
    const auto it = sql_.names.find(name);
    return it == sql_.names.end() ? 0 : it->second;
  }
  void execute(const std::vector<Value>& parameters) override;
  bool next_row() override {
    if (row_ + 1 >= static_cast<long>(result_.size())) return false;
    ++row_;
    return true;
  }
  Value column(int index) override { return value(result_[static_cast<pqxx::result::size_type>(row_)][index]); }
  Value column(const char* name) override { return value(result_[static_cast<pqxx::result::size_type>(row_)][name]); }
  int changes() override { return static_cast<int>(result_.affected_rows()); }
  void reset() noexcept override {
    result_ = pqxx::result();
    row_ = -1;
  }

private:
  static Value value(const pqxx::field& f) {
    if (f.is_null()) return std::monostate{};
    return std::string(f.c_str(), f.size());
  }

  PostgresEngine& engine_;
  std::string name_;
  PostgresSql sql_;
  pqxx::result result_;
  long row_ = -1;
};

class PostgresEngine final : public ConnectionEngine {
public:
  PostgresEngine(const StoreUrl& url, std::chrono::milliseconds busy_wait)
      : watchdog_(busy_wait + kAnswerMargin), url_(url), conninfo_(conninfo_of(url)), busy_wait_(busy_wait) {
    try {
      conn_ = std::make_unique<pqxx::connection>(conninfo_);
      no_reactivation(*conn_);
      migrate_postgres(*conn_);  // unwatched: a long migration is no frozen server
      configure();
    } catch (const pqxx::broken_connection& e) {
      throw StoreOpenError("cannot connect to the PostgreSQL store " + url_.shown + ": " + first_line(e.what()));
    } catch (const pqxx::sql_error& e) {
      throw StoreOpenError("the PostgreSQL store " + url_.shown + " refused: " + first_line(e.what()));
    }
    reconnected_ = false;
  }

  ~PostgresEngine() override {
    tx_.reset();
    conn_.reset();
  }

  std::unique_ptr<StatementEngine> prepare(const std::string& sql) override {
    return std::make_unique<PostgresStatement>(*this, "s" + std::to_string(++statements_), to_postgres(sql));
  }

  void begin_read() override {
    connect();
    try {
      watched([&] { tx_ = std::make_unique<pqxx::nontransaction>(*conn_); });
    } catch (const pqxx::failure& e) {
      lost(e);
    }
  }
  void end_read() noexcept override {
    try {
      watched([&] { tx_.reset(); });
    } catch (...) {
      drop();
    }
  }

  // Waits for the write lock in PostgreSQL (woken the moment another daemon's write ends)
  // rather than polling for it: under contention a poll's pauses cost more than the writes.
  bool try_begin_write() override {
    connect();
    try {
      watched([&] {  // the lock wait is bounded by lock_timeout, well within the watchdog's bound
        tx_ = std::make_unique<pqxx::work>(*conn_);
        tx_->exec("SET LOCAL lock_timeout = " + std::to_string(std::max<long long>(1, busy_wait_.count())));
        tx_->exec("SELECT pg_advisory_xact_lock(" + std::to_string(kWriteLock) + ")");
      });
      return true;
    } catch (const pqxx::sql_error& e) {
      tx_.reset();
      if (e.sqlstate() == "55P03") {  // lock_timeout: another daemon held it for the whole busy wait
        throw StoreBusy::write_lock_held(busy_wait_);
      }
      lost(e);
    } catch (const pqxx::failure& e) {  // the connection broke, or the server is shutting down
      lost(e);
    }
  }

  void commit() override {
    try {
      watched([&] { static_cast<pqxx::work&>(*tx_).commit(); });
      tx_.reset();
    } catch (const pqxx::in_doubt_error& e) {
      tx_.reset();
      drop();
      throw StoreBusy("the PostgreSQL store " + url_.shown + " went away while committing (" + first_line(e.what()) +
                      "); the change may or may not have been made");
    } catch (const pqxx::broken_connection& e) {
      lost(e);
    }
  }

  void rollback() noexcept override {
    try {
      watched([&] { tx_.reset(); });  // sends ROLLBACK, and waits for its answer
    } catch (...) {
      drop();
    }
  }

  bool reconnected() override {
    const bool was = reconnected_;
    reconnected_ = false;
    return was;
  }

  pqxx::transaction_base& tx() {
    if (!tx_) throw std::logic_error("a PostgreSQL statement outside a session");
    return *tx_;
  }
  // Prepares `name` on this connection once (a new connection starts with none).
  void ensure_prepared(const std::string& name, const std::string& text) {
    if (prepared_.count(name)) return;
    conn_->prepare(name, text);
    prepared_.insert(name);
  }

  // Runs `call` (a round trip to the server) under the watchdog: a server that does not
  // answer within its bound has the socket shut under it, and `call` throws
  // broken_connection. The socket stays open until the watch ends.
  template <typename Call>
  void watched(Call&& call) {
    CallWatchdog::Scope scope(watchdog_, conn_ ? conn_->sock() : -1);
    call();
  }

  [[noreturn]] void lost(const std::exception& e) {
    const bool cut = watchdog_.last_cut();
    tx_.reset();
    drop();
    if (cut) {
      throw StoreBusy("the PostgreSQL store " + url_.shown + " did not answer within " +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(watchdog_.bound()).count()) +
                      " s (is the server stopped or overloaded?); try again");
    }
    throw StoreBusy("the PostgreSQL store " + url_.shown + " cannot be reached (" + first_line(e.what()) +
                    "); try again");
  }

private:
  void configure() {
    // A daemon stopped in the middle of a transaction (SIGSTOP, a network split) must not
    // hold every other daemon's writes for longer than this.
    watched([&] {
      pqxx::nontransaction setup(*conn_);
      setup.exec("SET idle_in_transaction_session_timeout = 30000");
    });
  }

  void connect() {
    if (conn_ && conn_->is_open()) return;
    drop();
    if (std::chrono::steady_clock::now() < retry_connect_at_) throw StoreBusy(connect_failure_);
    try {
      conn_ = std::make_unique<pqxx::connection>(conninfo_);
      no_reactivation(*conn_);
      configure();
    } catch (const pqxx::broken_connection& e) {
      failed_to_connect("the PostgreSQL store " + url_.shown + " cannot be reached (" + first_line(e.what()) +
                        "); try again");
    } catch (const pqxx::sql_error& e) {
      failed_to_connect("the PostgreSQL store " + url_.shown + " refused the connection (" + first_line(e.what()) +
                        "); try again");
    }
    reconnected_ = true;
  }

  [[noreturn]] void failed_to_connect(const std::string& message) {
    drop();
    connect_failure_ = message;
    retry_connect_at_ = std::chrono::steady_clock::now() + kReconnectPause;
    throw StoreBusy(message);
  }

  void drop() noexcept {
    tx_.reset();
    try {
      conn_.reset();
    } catch (...) {
    }
    prepared_.clear();
  }

  CallWatchdog watchdog_;  // first: it outlives the connection it watches
  StoreUrl url_;
  std::string conninfo_;
  std::chrono::milliseconds busy_wait_;
  std::chrono::steady_clock::time_point retry_connect_at_;
  std::string connect_failure_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::transaction_base> tx_;  // declared after conn_: closed before it
  std::set<std::string> prepared_;
  long statements_ = 0;
  bool reconnected_ = false;
};

void PostgresStatement::execute(const std::vector<Value>& parameters) {
  reset();
  std::vector<std::string> text(static_cast<std::size_t>(sql_.parameters));
  std::vector<const char*> values(static_cast<std::size_t>(sql_.parameters), nullptr);
  for (std::size_t i = 0; i < parameters.size() && i < values.size(); ++i) {
    const Value& v = parameters[i];
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      text[i] = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      text[i] = pqxx::to_string(*d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      text[i] = postgres_text(*s);  // a NUL or bytes that are not UTF-8 would fail the statement
    } else {
      continue;
    }
    values[i] = text[i].c_str();
  }
  try {
    engine_.ensure_prepared(name_, sql_.text);
    engine_.watched([&] { result_ = engine_.tx().exec_prepared(name_, pqxx::prepare::make_dynamic_params(values)); });
  } catch (const pqxx::broken_connection& e) {
    engine_.lost(e);
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    const bool unique = state == "23505";
    // Serialization failures, deadlocks, lock and statement timeouts, an admin's shutdown.
    const bool transient = state == "40001" || state == "40P01" || state == "55P03" || state == "57014" ||
                           state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0;
    throw DatabaseError(first_line(e.what()), unique, transient);
  }
}

}  // namespace

std::unique_ptr<ConnectionEngine> make_postgres_engine(const StoreUrl& url, std::chrono::milliseconds busy_wait) {
  return std::make_unique<PostgresEngine>(url, busy_wait);
}

}  // namespace dagctl::daemon::store
