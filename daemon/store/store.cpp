#include "daemon/store/store.hpp"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <thread>

#include "common/random.hpp"
#include "daemon/store/database.hpp"

namespace dagctl::daemon::store {

namespace {

using SQLite::Statement;
using SQLite::Transaction;
using SQLite::TransactionBehavior;

constexpr const char* kProjectColumns =
    "id, org_id, name, type, path, profiles_dir, target, dbt, env_json, created_at";
constexpr const char* kJobColumns =
    "id, project_id, name, command, schedule, timezone, timeout_seconds, enabled, catchup, "
    "webhook_enabled, webhook_url, webhook_headers_json, webhook_events_json, created_at, "
    "updated_at, webhook_secret, webhook_auth_json, schedule_checked_at, last_fire_at, last_fire_outcome";
const std::string kInsertJob = std::string("INSERT INTO jobs (") + kJobColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kRunColumns =
    "seq, id, job_id, project_id, job_name, status, triggered_by, command, command_override, "
    "retry_of, created_at, start_time, end_time, exit_code, error_message, results_json, pid, "
    "pid_start_ticks";

std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
std::optional<TimePoint> opt_time(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return common::from_millis(c.getInt64());
}
std::optional<int> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}

template <typename T>
void bind_opt(Statement& s, int index, const std::optional<T>& value) {
  if (value) {
    s.bind(index, *value);
  } else {
    s.bind(index);
  }
}
Project read_project(Statement& s) {
  Project p;
  p.id = s.getColumn(0).getString();
  p.org_id = s.getColumn(1).getString();
  p.name = s.getColumn(2).getString();
  p.type = s.getColumn(3).getString();
  p.path = s.getColumn(4).getString();
  p.profiles_dir = s.getColumn(5).getString();
  p.target = s.getColumn(6).getString();
  p.dbt = s.getColumn(7).getString();
  p.env = nlohmann::json::parse(s.getColumn(8).getString()).get<std::map<std::string, std::string>>();
  p.created_at = common::from_millis(s.getColumn(9).getInt64());
  return p;
}

Job read_job(Statement& s) {
  Job j;
  j.id = s.getColumn(0).getString();
  j.project_id = s.getColumn(1).getString();
  j.name = s.getColumn(2).getString();
  j.command = s.getColumn(3).getString();
  j.schedule = opt_text(s.getColumn(4));
  j.timezone = opt_text(s.getColumn(5));
  j.timeout_seconds = opt_int(s.getColumn(6));
  j.enabled = s.getColumn(7).getInt() != 0;
  j.catchup = s.getColumn(8).getInt() != 0;
  j.webhook_enabled = s.getColumn(9).getInt() != 0;
  j.webhook_url = opt_text(s.getColumn(10));
  j.webhook_headers = nlohmann::json::parse(s.getColumn(11).getString());
  j.webhook_events = nlohmann::json::parse(s.getColumn(12).getString()).get<std::vector<std::string>>();
  j.created_at = common::from_millis(s.getColumn(13).getInt64());
  j.updated_at = common::from_millis(s.getColumn(14).getInt64());
  j.webhook_secret = opt_text(s.getColumn(15));
  j.webhook_auth = s.getColumn(16).isNull() ? nlohmann::json(nullptr) : nlohmann::json::parse(s.getColumn(16).getString());
  j.schedule_checked_at = opt_time(s.getColumn(17));
  j.last_fire_at = opt_time(s.getColumn(18));
  j.last_fire_outcome = opt_text(s.getColumn(19));
  return j;
}

Run read_run(Statement& s) {
  Run r;
  r.seq = s.getColumn(0).getInt64();
  r.id = s.getColumn(1).getString();
  r.job_id = s.getColumn(2).getString();
  r.project_id = s.getColumn(3).getString();
  r.job_name = s.getColumn(4).getString();
  r.status = common::parse_run_status(s.getColumn(5).getString()).value_or(RunStatus::error);
  r.triggered_by = s.getColumn(6).getString();
  r.command = s.getColumn(7).getString();
  r.command_override = opt_text(s.getColumn(8));
  r.retry_of = opt_text(s.getColumn(9));
  r.created_at = common::from_millis(s.getColumn(10).getInt64());
  r.start_time = opt_time(s.getColumn(11));
  r.end_time = opt_time(s.getColumn(12));
  r.exit_code = opt_int(s.getColumn(13));
  r.error_message = opt_text(s.getColumn(14));
  r.results = nlohmann::json::parse(s.getColumn(15).getString());
  r.pid = s.getColumn(16).getInt();
  r.pid_start_ticks = s.getColumn(17).getInt64();
  return r;
}

void bind_opt_time(Statement& s, int index, const std::optional<TimePoint>& value) {
  if (value) {
    s.bind(index, common::to_millis(*value));
  } else {
    s.bind(index);
  }
}

void bind_job(Statement& s, const Job& j) {
  s.bind(1, j.id);
  s.bind(2, j.project_id);
  s.bind(3, j.name);
  s.bind(4, j.command);
  bind_opt(s, 5, j.schedule);
  bind_opt(s, 6, j.timezone);
  bind_opt(s, 7, j.timeout_seconds);
  s.bind(8, j.enabled ? 1 : 0);
  s.bind(9, j.catchup ? 1 : 0);
  s.bind(10, j.webhook_enabled ? 1 : 0);
  bind_opt(s, 11, j.webhook_url);
  s.bind(12, j.webhook_headers.dump());
  s.bind(13, nlohmann::json(j.webhook_events).dump());
  s.bind(14, common::to_millis(j.created_at));
  s.bind(15, common::to_millis(j.updated_at));
  bind_opt(s, 16, j.webhook_secret);
  if (j.webhook_auth.is_null()) {
    s.bind(17);
  } else {
    s.bind(17, j.webhook_auth.dump());
  }
  bind_opt_time(s, 18, j.schedule_checked_at);
  bind_opt_time(s, 19, j.last_fire_at);
  bind_opt(s, 20, j.last_fire_outcome);
}

bool is_unique_violation(const SQLite::Exception& e) {
  return e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE ||
         e.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY;
}

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

// SQLite's own busy handler would hold the connection (and so every other caller) for
// the whole wait. Instead each BEGIN IMMEDIATE fails at once while another process holds
// the write lock, and the wait between tries happens outside the mutex: reads (which WAL
// lets through) and other callers go on meanwhile.
class Store::WriteTx {
public:
  explicit WriteTx(Store& store) {
    const auto deadline = std::chrono::steady_clock::now() + store.busy_wait_;
    std::chrono::milliseconds pause{2};
    for (;;) {
      lock_ = std::unique_lock(store.mutex_);
      if (begin(*store.db_, store.busy_wait_)) return;
      lock_.unlock();
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) throw StoreBusy();
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }
  void commit() { tx_->commit(); }

private:
  bool begin(SQLite::Database& db, std::chrono::milliseconds busy_wait) {
    db.setBusyTimeout(0);
    try {
      tx_.emplace(db, TransactionBehavior::IMMEDIATE);
    } catch (const SQLite::Exception& e) {
      db.setBusyTimeout(static_cast<int>(busy_wait.count()));
      if (is_busy(e)) return false;
      throw;
    }
    db.setBusyTimeout(static_cast<int>(busy_wait.count()));
    return true;
  }

  std::unique_lock<std::mutex> lock_;
  std::optional<Transaction> tx_;  // declared after lock_: rolled back while still held
};

Store::Store(const std::string& database_path, std::chrono::milliseconds busy_wait)
    : db_(open_database(database_path)), busy_wait_(busy_wait) {
  // Reads wait this long too (WAL seldom makes them wait at all).
  db_->setBusyTimeout(static_cast<int>(busy_wait_.count()));
}

Organization Store::default_organization() {
  WriteTx tx(*this);
  Statement select(*db_, "SELECT id, name FROM organizations ORDER BY created_at LIMIT 1");
  if (select.executeStep()) {
    return {select.getColumn(0).getString(), select.getColumn(1).getString()};
  }
  Organization org{"org-" + common::random_base62(12), "default"};
  Statement insert(*db_, "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)");
  insert.bind(1, org.id);
  insert.bind(2, org.name);
  insert.bind(3, common::to_millis(common::now()));
  insert.exec();
  tx.commit();
  return org;
}

void Store::create_project(const Project& p, const std::vector<Job>& jobs) {
  WriteTx tx(*this);
  Statement insert(*db_, std::string("INSERT INTO projects (") + kProjectColumns +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, p.id);
  insert.bind(2, p.org_id);
  insert.bind(3, p.name);
  insert.bind(4, p.type);
  insert.bind(5, p.path);
  insert.bind(6, p.profiles_dir);
  insert.bind(7, p.target);
  insert.bind(8, p.dbt);
  insert.bind(9, nlohmann::json(p.env).dump());
  insert.bind(10, common::to_millis(p.created_at));
  try {
    insert.exec();
  } catch (const SQLite::Exception& e) {
    if (is_unique_violation(e)) {
      throw StoreError(StoreError::Kind::conflict,
                       "a project named '" + p.name + "' exists already; pick another --name");
    }
    throw;
  }
  for (const Job& j : jobs) {
    Statement job_insert(*db_, kInsertJob);
    bind_job(job_insert, j);
    job_insert.exec();
  }
  tx.commit();
}

std::vector<Project> Store::list_projects() {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kProjectColumns + " FROM projects ORDER BY name");
  std::vector<Project> out;
  while (s.executeStep()) out.push_back(read_project(s));
  return out;
}

std::optional<Project> Store::find_project(const std::string& id_or_name) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kProjectColumns +
                        " FROM projects WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1");
  s.bind(1, id_or_name);
  s.bind(2, id_or_name);
  s.bind(3, id_or_name);
  if (!s.executeStep()) return std::nullopt;
  return read_project(s);
}

void Store::delete_project(const std::string& id) {
  WriteTx tx(*this);
  Statement active(*db_,
                   "SELECT COUNT(*) FROM runs WHERE project_id = ? AND status IN ('queued','running')");
  active.bind(1, id);
  active.executeStep();
  if (active.getColumn(0).getInt() > 0) {
    throw StoreError(StoreError::Kind::conflict,
                     "the project has queued or running runs; cancel them first (dagctl cancel RUN)");
  }
  Statement del(*db_, "DELETE FROM projects WHERE id = ?");
  del.bind(1, id);
  if (del.exec() == 0) throw StoreError(StoreError::Kind::not_found, "no project with id " + id);
  tx.commit();
}

std::vector<Job> Store::list_jobs(const std::optional<std::string>& project_id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kJobColumns + " FROM jobs" +
                        (project_id ? " WHERE project_id = ?" : "") + " ORDER BY created_at, name");
  if (project_id) s.bind(1, *project_id);
  std::vector<Job> out;
  while (s.executeStep()) out.push_back(read_job(s));
  return out;
}

std::optional<Job> Store::find_job(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.executeStep()) return std::nullopt;
  return read_job(s);
}

std::optional<Job> Store::find_job_by_name(const std::string& project_id, const std::string& name) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kJobColumns +
                        " FROM jobs WHERE project_id = ? AND name = ?");
  s.bind(1, project_id);
  s.bind(2, name);
  if (!s.executeStep()) return std::nullopt;
  return read_job(s);
}

void Store::create_job(const Job& j) {
  WriteTx tx(*this);
  Statement s(*db_, kInsertJob);
  bind_job(s, j);
  try {
    s.exec();
  } catch (const SQLite::Exception& e) {
    if (is_unique_violation(e)) {
      throw StoreError(StoreError::Kind::conflict,
                       "the project has a job named '" + j.name + "' already; pick another name");
    }
    throw;
  }
  tx.commit();
}

void Store::update_job(const Job& j) {
  WriteTx tx(*this);
  Statement s(*db_,
              "UPDATE jobs SET id = ?1, project_id = ?2, name = ?3, command = ?4, schedule = ?5, "
              "timezone = ?6, timeout_seconds = ?7, enabled = ?8, catchup = ?9, "
              "webhook_enabled = ?10, webhook_url = ?11, webhook_headers_json = ?12, "
              "webhook_events_json = ?13, created_at = ?14, updated_at = ?15, webhook_secret = ?16, "
              "webhook_auth_json = ?17, schedule_checked_at = COALESCE(?18, schedule_checked_at), "
              "last_fire_at = COALESCE(?19, last_fire_at), last_fire_outcome = COALESCE(?20, last_fire_outcome) "
              "WHERE id = ?1");
  bind_job(s, j);
  try {
    if (s.exec() == 0) throw StoreError(StoreError::Kind::not_found, "no job with id " + j.id);
  } catch (const SQLite::Exception& e) {
    if (is_unique_violation(e)) {
      throw StoreError(StoreError::Kind::conflict,
                       "the project has a job named '" + j.name + "' already; pick another name");
    }
    throw;
  }
  tx.commit();
}

void Store::delete_job(const std::string& id) {
  WriteTx tx(*this);
  Statement active(*db_,
                   "SELECT COUNT(*) FROM runs WHERE job_id = ? AND status IN ('queued','running')");
  active.bind(1, id);
  active.executeStep();
  if (active.getColumn(0).getInt() > 0) {
    throw StoreError(StoreError::Kind::conflict,
                     "the job has queued or running runs; cancel them first (dagctl cancel RUN)");
  }
  Statement del(*db_, "DELETE FROM jobs WHERE id = ?");
  del.bind(1, id);
  if (del.exec() == 0) throw StoreError(StoreError::Kind::not_found, "no job with id " + id);
  tx.commit();
}

void Store::insert_run(const Run& r, int max_queued_per_job) {
  WriteTx tx(*this);
  Statement queued(*db_, "SELECT COUNT(*) FROM runs WHERE job_id = ? AND status = 'queued'");
  queued.bind(1, r.job_id);
  queued.executeStep();
  if (queued.getColumn(0).getInt() >= max_queued_per_job) {
    throw StoreError(StoreError::Kind::conflict,
                     "the job has " + std::to_string(max_queued_per_job) +
                         " runs queued already (the limit); wait for some to finish and retry");
  }
  if (r.retry_of) {
    // Checked in this transaction: retention cannot delete the source between the
    // caller's look and this insert.
    Statement source(*db_, "SELECT 1 FROM runs WHERE id = ?");
    source.bind(1, *r.retry_of);
    if (!source.executeStep()) {
      throw StoreError(StoreError::Kind::not_found, "run " + *r.retry_of + " was deleted (retention); trigger the job again instead");
    }
  }
  Statement s(*db_,
              "INSERT INTO runs (id, job_id, project_id, job_name, status, triggered_by, command, "
              "command_override, retry_of, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, r.id);
  s.bind(2, r.job_id);
  s.bind(3, r.project_id);
  s.bind(4, r.job_name);
  s.bind(5, std::string(common::to_string(r.status)));
  s.bind(6, r.triggered_by);
  s.bind(7, r.command);
  bind_opt(s, 8, r.command_override);
  bind_opt(s, 9, r.retry_of);
  s.bind(10, common::to_millis(r.created_at));
  s.exec();
  tx.commit();
}

std::optional<Run> Store::find_run(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
  s.bind(1, id);
  if (!s.executeStep()) return std::nullopt;
  return read_run(s);
}

std::vector<Run> Store::list_runs(const RunFilter& f) {
  std::lock_guard lock(mutex_);
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE 1=1";
  if (f.job_id) sql += " AND job_id = :job";
  if (f.project_id) sql += " AND project_id = :project";
  if (f.status) sql += " AND status = :status";
  if (f.before_seq) sql += " AND seq < :before";
  sql += " ORDER BY seq DESC LIMIT :limit";
  Statement s(*db_, sql);
  if (f.job_id) s.bind(":job", *f.job_id);
  if (f.project_id) s.bind(":project", *f.project_id);
  if (f.status) s.bind(":status", std::string(common::to_string(*f.status)));
  if (f.before_seq) s.bind(":before", *f.before_seq);
  s.bind(":limit", f.limit);
  std::vector<Run> out;
  while (s.executeStep()) out.push_back(read_run(s));
  return out;
}

std::vector<Run> Store::runs_with_status(RunStatus status) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE status = ? ORDER BY seq");
  s.bind(1, std::string(common::to_string(status)));
  std::vector<Run> out;
  while (s.executeStep()) out.push_back(read_run(s));
  return out;
}

std::vector<std::string> Store::prune_runs(std::optional<TimePoint> ended_before, int keep_per_job, int limit) {
  WriteTx tx(*this);
  // Rank counts every run of the job, queued ones included: "the newest N" is what the
  // user sees in `dagctl runs JOB`.
  Statement pick(*db_,
                 "WITH ranked AS (SELECT id, seq, status, COALESCE(end_time, created_at) AS ended, "
                 "  ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY seq DESC) AS newest FROM runs) "
                 "SELECT id FROM ranked "
                 "WHERE status IN ('success','partial','failed','error','cancelled') "
                 "  AND ((?1 > 0 AND newest > ?1) OR (?2 IS NOT NULL AND ended < ?2)) "
                 "  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.run_id = ranked.id AND d.status = 'pending') "
                 "  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.retry_of = ranked.id "
                 "                  AND r.status IN ('queued','running')) "
                 "ORDER BY seq LIMIT ?3");
  pick.bind(1, keep_per_job);
  if (ended_before) {
    pick.bind(2, common::to_millis(*ended_before));
  } else {
    pick.bind(2);
  }
  pick.bind(3, limit);
  std::vector<std::string> ids;
  while (pick.executeStep()) ids.push_back(pick.getColumn(0).getString());
  Statement deliveries(*db_, "DELETE FROM deliveries WHERE run_id = ? AND status != 'pending'");
  Statement run(*db_, "DELETE FROM runs WHERE id = ?");
  for (const auto& id : ids) {
    for (Statement* s : {&deliveries, &run}) {
      s->bind(1, id);
      s->exec();
      s->reset();
    }
  }
  tx.commit();
  return ids;
}

namespace {
std::vector<std::string> unknown_ids(SQLite::Database& db, const char* query, const std::vector<std::string>& names) {
  Statement s(db, query);
  std::vector<std::string> out;
  for (const auto& name : names) {
    s.bind(1, name);
    if (!s.executeStep()) out.push_back(name);
    s.reset();
  }
  return out;
}
}  // namespace

std::vector<std::string> Store::unknown_run_ids(const std::vector<std::string>& names) {
  return unknown_ids_chunked("SELECT 1 FROM runs WHERE id = ?", names);
}

std::vector<std::string> Store::unknown_project_ids(const std::vector<std::string>& names) {
  return unknown_ids_chunked("SELECT 1 FROM projects WHERE id = ?", names);
}

std::vector<std::string> Store::unknown_ids_chunked(const char* query, const std::vector<std::string>& names) {
  // A few hundred lookups per lock: triggers and the dispatcher never wait long behind it.
  constexpr size_t kChunk = 500;
  std::vector<std::string> out;
  for (size_t at = 0; at < names.size(); at += kChunk) {
    const std::vector<std::string> chunk(names.begin() + static_cast<std::ptrdiff_t>(at),
                                         names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), at + kChunk)));
    std::lock_guard lock(mutex_);
    for (auto& name : unknown_ids(*db_, query, chunk)) out.push_back(std::move(name));
  }
  return out;
}

std::vector<Run> Store::next_queued_runs(const std::set<std::string>& skip_projects, int limit) {
  std::lock_guard lock(mutex_);
  Statement heads(*db_,
                  "SELECT project_id, MIN(seq) AS head FROM runs WHERE status = 'queued' "
                  "GROUP BY project_id ORDER BY head");
  std::vector<std::int64_t> seqs;
  while (heads.executeStep() && static_cast<int>(seqs.size()) < limit) {
    if (!skip_projects.count(heads.getColumn(0).getString())) seqs.push_back(heads.getColumn(1).getInt64());
  }
  Statement s(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE seq = ?");
  std::vector<Run> out;
  for (const auto seq : seqs) {
    s.bind(1, seq);
    if (s.executeStep()) out.push_back(read_run(s));
    s.reset();
  }
  return out;
}

void Store::retarget_delivery(const std::string& id, const std::string& url, const std::string& body) {
  WriteTx tx(*this);
  Statement s(*db_, "UPDATE deliveries SET url = ?, body = ? WHERE id = ?");
  s.bind(1, url);
  s.bind(2, body);
  s.bind(3, id);
  s.exec();
  tx.commit();
}

RunCounts Store::count_active_runs() {
  std::lock_guard lock(mutex_);
  Statement s(*db_,
              "SELECT status, COUNT(*) FROM runs WHERE status IN ('queued','running') GROUP BY status");
  RunCounts counts;
  while (s.executeStep()) {
    const std::string status = s.getColumn(0).getString();
    (status == "queued" ? counts.queued : counts.running) = s.getColumn(1).getInt();
  }
  return counts;
}

bool Store::mark_running(const std::string& id, TimePoint start_time) {
  WriteTx tx(*this);
  Statement s(*db_, "UPDATE runs SET status = 'running', start_time = ? WHERE id = ? AND status = 'queued'");
  s.bind(1, common::to_millis(start_time));
  s.bind(2, id);
  const bool changed = s.exec() == 1;
  tx.commit();
  return changed;
}

void Store::record_process(const std::string& id, int pid, std::int64_t start_ticks) {
  WriteTx tx(*this);
  Statement s(*db_, "UPDATE runs SET pid = ?, pid_start_ticks = ? WHERE id = ?");
  s.bind(1, pid);
  s.bind(2, start_ticks);
  s.bind(3, id);
  s.exec();
  tx.commit();
}

bool Store::finish_run(const std::string& id, RunStatus status, TimePoint end_time,
                       std::optional<int> exit_code, std::optional<std::string> error_message,
                       const nlohmann::json& results, const DeliveryOwed& owed) {
  WriteTx tx(*this);
  Statement s(*db_,
              "UPDATE runs SET status = ?, end_time = ?, exit_code = ?, error_message = ?, "
              "results_json = ?, pid = 0, pid_start_ticks = 0 "
              "WHERE id = ? AND status IN ('queued','running')");
  s.bind(1, std::string(common::to_string(status)));
  s.bind(2, common::to_millis(end_time));
  bind_opt(s, 3, exit_code);
  bind_opt(s, 4, error_message);
  s.bind(5, results.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  s.bind(6, id);
  const bool changed = s.exec() == 1;
  if (changed && owed) {
    Statement select(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
    select.bind(1, id);
    select.executeStep();
    if (const auto delivery = owed(read_run(select))) insert_delivery_locked(*delivery);
  }
  tx.commit();
  return changed;
}

std::optional<std::string> Store::newest_successful_run(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, "SELECT id FROM runs WHERE job_id = ? AND status = 'success' ORDER BY seq DESC LIMIT 1");
  s.bind(1, job_id);
  if (!s.executeStep()) return std::nullopt;
  return s.getColumn(0).getString();
}

namespace {
constexpr const char* kTokenColumns =
    "id, org_id, name, secret_sha256, created_at, expires_at, last_used_at, revoked_at, scope";

Token read_token(Statement& s) {
  Token t;
  t.id = s.getColumn(0).getString();
  t.org_id = s.getColumn(1).getString();
  t.name = s.getColumn(2).getString();
  t.secret_sha256 = s.getColumn(3).getString();
  t.created_at = common::from_millis(s.getColumn(4).getInt64());
  t.expires_at = opt_time(s.getColumn(5));
  t.last_used_at = opt_time(s.getColumn(6));
  t.revoked_at = opt_time(s.getColumn(7));
  // A scope this version does not know (a row edited by hand) grants the least.
  t.scope = parse_token_scope(s.getColumn(8).getString()).value_or(TokenScope::read);
  return t;
}
}  // namespace

void Store::insert_token(const Token& t) {
  WriteTx tx(*this);
  Statement s(*db_, std::string("INSERT INTO tokens (") + kTokenColumns + ") VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)");
  s.bind(1, t.id);
  s.bind(2, t.org_id);
  s.bind(3, t.name);
  s.bind(4, t.secret_sha256);
  s.bind(5, common::to_millis(t.created_at));
  bind_opt_time(s, 6, t.expires_at);
  s.bind(7, to_string(t.scope));
  s.exec();
  tx.commit();
}

std::vector<Token> Store::list_tokens() {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kTokenColumns + " FROM tokens ORDER BY created_at");
  std::vector<Token> out;
  while (s.executeStep()) out.push_back(read_token(s));
  return out;
}

std::optional<Token> Store::find_token_by_hash(const std::string& secret_sha256) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE secret_sha256 = ?");
  s.bind(1, secret_sha256);
  if (!s.executeStep()) return std::nullopt;
  return read_token(s);
}

bool Store::revoke_token(const std::string& id, TimePoint when) {
  WriteTx tx(*this);
  Statement s(*db_, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  s.bind(1, common::to_millis(when));
  s.bind(2, id);
  const bool changed = s.exec() == 1;
  tx.commit();
  return changed;
}

void Store::touch_token(const std::string& id, TimePoint when) {
  WriteTx tx(*this);
  Statement s(*db_, "UPDATE tokens SET last_used_at = ? WHERE id = ?");
  s.bind(1, common::to_millis(when));
  s.bind(2, id);
  s.exec();
  tx.commit();
}

namespace {
constexpr const char* kDeliveryColumns =
    "seq, id, job_id, run_id, event, url, body, status, attempts, next_attempt_at, created_at, "
    "finished_at, last_error";

Delivery read_delivery(Statement& s) {
  Delivery d;
  d.seq = s.getColumn(0).getInt64();
  d.id = s.getColumn(1).getString();
  d.job_id = s.getColumn(2).getString();
  d.run_id = opt_text(s.getColumn(3));
  d.event = s.getColumn(4).getString();
  d.url = s.getColumn(5).getString();
  d.body = s.getColumn(6).getString();
  d.status = s.getColumn(7).getString();
  d.attempts = s.getColumn(8).getInt();
  d.next_attempt_at = common::from_millis(s.getColumn(9).getInt64());
  d.created_at = common::from_millis(s.getColumn(10).getInt64());
  d.finished_at = opt_time(s.getColumn(11));
  d.last_error = opt_text(s.getColumn(12));
  return d;
}
}  // namespace

void Store::insert_delivery_locked(const Delivery& d) {
  Statement s(*db_,
              "INSERT INTO deliveries (id, job_id, run_id, event, url, body, status, attempts, "
              "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
  s.bind(1, d.id);
  s.bind(2, d.job_id);
  bind_opt(s, 3, d.run_id);
  s.bind(4, d.event);
  s.bind(5, d.url);
  s.bind(6, d.body);
  s.bind(7, d.status);
  s.bind(8, common::to_millis(d.next_attempt_at));
  s.bind(9, common::to_millis(d.created_at));
  s.exec();
}

void Store::insert_delivery(const Delivery& d) {
  WriteTx tx(*this);
  insert_delivery_locked(d);
  tx.commit();
}

std::optional<Delivery> Store::find_delivery(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE id = ?");
  s.bind(1, id);
  if (!s.executeStep()) return std::nullopt;
  return read_delivery(s);
}

std::vector<Delivery> Store::due_deliveries(TimePoint now, int limit) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kDeliveryColumns +
                        " FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
                        "ORDER BY next_attempt_at, seq LIMIT ?");
  s.bind(1, common::to_millis(now));
  s.bind(2, limit);
  std::vector<Delivery> out;
  while (s.executeStep()) out.push_back(read_delivery(s));
  return out;
}

std::optional<TimePoint> Store::next_delivery_due() {
  std::lock_guard lock(mutex_);
  Statement s(*db_, "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'");
  s.executeStep();
  return opt_time(s.getColumn(0));
}

void Store::record_attempt(const std::string& delivery_id, const DeliveryAttempt& a,
                           const std::string& status, TimePoint next_attempt_at,
                           const std::optional<std::string>& last_error) {
  WriteTx tx(*this);
  Statement insert(*db_,
                   "INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, error, "
                   "response_excerpt) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, delivery_id);
  insert.bind(2, common::to_millis(a.at));
  bind_opt(insert, 3, a.status_code);
  insert.bind(4, a.latency_ms);
  bind_opt(insert, 5, a.error);
  insert.bind(6, a.response_excerpt);
  insert.exec();
  Statement update(*db_,
                   "UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, "
                   "last_error = ?, finished_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END WHERE id = ?");
  update.bind(1, status);
  update.bind(2, common::to_millis(next_attempt_at));
  bind_opt(update, 3, last_error);
  update.bind(4, status);
  update.bind(5, common::to_millis(a.at));
  update.bind(6, delivery_id);
  update.exec();
  tx.commit();
}

std::vector<Delivery> Store::list_deliveries(const std::string& job_id, int limit) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, std::string("SELECT ") + kDeliveryColumns +
                        " FROM deliveries WHERE job_id = ? ORDER BY seq DESC LIMIT ?");
  s.bind(1, job_id);
  s.bind(2, limit);
  std::vector<Delivery> out;
  while (s.executeStep()) out.push_back(read_delivery(s));
  return out;
}

std::vector<DeliveryAttempt> Store::list_attempts(const std::string& delivery_id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_,
              "SELECT at, status_code, latency_ms, error, response_excerpt FROM delivery_attempts "
              "WHERE delivery_id = ? ORDER BY id");
  s.bind(1, delivery_id);
  std::vector<DeliveryAttempt> out;
  while (s.executeStep()) {
    DeliveryAttempt a;
    a.at = common::from_millis(s.getColumn(0).getInt64());
    a.status_code = opt_int(s.getColumn(1));
    a.latency_ms = s.getColumn(2).getInt64();
    a.error = opt_text(s.getColumn(3));
    a.response_excerpt = s.getColumn(4).getString();
    out.push_back(a);
  }
  return out;
}

bool Store::requeue_delivery(const std::string& id, TimePoint now) {
  WriteTx tx(*this);
  Statement s(*db_, "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL "
              "WHERE id = ?");
  s.bind(1, common::to_millis(now));
  s.bind(2, id);
  const bool changed = s.exec() == 1;
  tx.commit();
  return changed;
}

bool Store::has_active_run(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  Statement s(*db_, "SELECT 1 FROM runs WHERE job_id = ? AND status IN ('queued','running') LIMIT 1");
  s.bind(1, job_id);
  return s.executeStep();
}

void Store::record_schedule(const std::string& job_id, TimePoint checked_at, std::optional<TimePoint> fired_at,
                            const std::optional<std::string>& outcome) {
  WriteTx tx(*this);
  Statement s(*db_,
              "UPDATE jobs SET schedule_checked_at = ?, last_fire_at = COALESCE(?, last_fire_at), "
              "last_fire_outcome = COALESCE(?, last_fire_outcome) WHERE id = ?");
  s.bind(1, common::to_millis(checked_at));
  bind_opt_time(s, 2, fired_at);
  bind_opt(s, 3, outcome);
  s.bind(4, job_id);
  s.exec();
  tx.commit();
}

}  // namespace dagctl::daemon::store
