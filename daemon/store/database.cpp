#include "daemon/store/database.hpp"

#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace dagctl::daemon::store {

namespace {

// Each entry moves the schema from version i to i+1. Never edit a shipped entry: add one.
// From version 13 on, PostgreSQL runs them too (postgres_schema.hpp holds its start): write
// them in the SQL both take (docs/scale-out.md#the-store): BIGINT for times and counts.
constexpr std::array<std::string_view, 17> kMigrations = {
    R"sql(
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  path TEXT NOT NULL,
  profiles_dir TEXT NOT NULL DEFAULT '',
  target TEXT NOT NULL DEFAULT '',
  dbt TEXT NOT NULL DEFAULT '',
  env_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  command TEXT NOT NULL,
  schedule TEXT,
  timezone TEXT,
  timeout_seconds INTEGER,
  enabled INTEGER NOT NULL DEFAULT 1,
  catchup INTEGER NOT NULL DEFAULT 1,
  webhook_enabled INTEGER NOT NULL DEFAULT 0,
  webhook_url TEXT,
  webhook_headers_json TEXT NOT NULL DEFAULT '{}',
  webhook_events_json TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  job_name TEXT NOT NULL,
  status TEXT NOT NULL,
  triggered_by TEXT NOT NULL,
  command TEXT NOT NULL,
  command_override TEXT,
  retry_of TEXT,
  created_at INTEGER NOT NULL,
  start_time INTEGER,
  end_time INTEGER,
  exit_code INTEGER,
  error_message TEXT,
  results_json TEXT NOT NULL DEFAULT '{}',
  pid INTEGER NOT NULL DEFAULT 0,
  pid_start_ticks INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_status ON runs(status, seq);
CREATE INDEX runs_by_job ON runs(job_id, seq);
CREATE INDEX runs_by_project ON runs(project_id, seq);
)sql",
    // API tokens: only the SHA-256 of the secret is kept.
    R"sql(
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
);
)sql",
    // Webhooks: each job's signing secret and auth, and a durable outbox of deliveries.
    R"sql(
ALTER TABLE jobs ADD COLUMN webhook_secret TEXT;
ALTER TABLE jobs ADD COLUMN webhook_auth_json TEXT;
CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  run_id TEXT,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_by_job ON deliveries(job_id, seq);
CREATE TABLE delivery_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  status_code INTEGER,
  latency_ms INTEGER NOT NULL,
  error TEXT,
  response_excerpt TEXT
);
CREATE INDEX attempts_by_delivery ON delivery_attempts(delivery_id, id);
)sql",
    // Schedules: how far each job's fire times have been handled, and the last outcome.
    R"sql(
ALTER TABLE jobs ADD COLUMN schedule_checked_at INTEGER;
ALTER TABLE jobs ADD COLUMN last_fire_at INTEGER;
ALTER TABLE jobs ADD COLUMN last_fire_outcome TEXT;
)sql",
    // Retention asks, per candidate run, for pending webhooks and queued retries; the
    // dispatcher for each project's oldest queued run.
    R"sql(
CREATE INDEX deliveries_by_run ON deliveries(run_id);
CREATE INDEX runs_by_retry_of ON runs(retry_of) WHERE retry_of IS NOT NULL;
-- The dispatcher: each project's oldest queued run, without reading the whole queue.
CREATE INDEX runs_queued_by_project ON runs(project_id, seq) WHERE status = 'queued';
)sql",
    // Token scopes (docs/api.md): tokens made before them keep doing everything they did.
    R"sql(
ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
)sql",
    // Deleting a job keeps its runs in the history (docs/api.md): runs.job_id no longer
    // references jobs. SQLite changes a foreign key only by rebuilding the table; nothing
    // references runs, so it can be dropped with foreign keys on.
    R"sql(
CREATE TABLE runs_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  job_name TEXT NOT NULL,
  status TEXT NOT NULL,
  triggered_by TEXT NOT NULL,
  command TEXT NOT NULL,
  command_override TEXT,
  retry_of TEXT,
  created_at INTEGER NOT NULL,
  start_time INTEGER,
  end_time INTEGER,
  exit_code INTEGER,
  error_message TEXT,
  results_json TEXT NOT NULL DEFAULT '{}',
  pid INTEGER NOT NULL DEFAULT 0,
  pid_start_ticks INTEGER NOT NULL DEFAULT 0
);
INSERT INTO runs_new (seq, id, job_id, project_id, job_name, status, triggered_by, command, command_override,
                      retry_of, created_at, start_time, end_time, exit_code, error_message, results_json, pid,
                      pid_start_ticks)
  SELECT seq, id, job_id, project_id, job_name, status, triggered_by, command, command_override, retry_of,
         created_at, start_time, end_time, exit_code, error_message, results_json, pid, pid_start_ticks
  FROM runs;
-- AUTOINCREMENT: the seq of a run pruned already is never handed out again.
DELETE FROM sqlite_sequence WHERE name = 'runs_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'runs_new', seq FROM sqlite_sequence WHERE name = 'runs';
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_status ON runs(status, seq);
CREATE INDEX runs_by_job ON runs(job_id, seq);
CREATE INDEX runs_by_project ON runs(project_id, seq);
CREATE INDEX runs_by_retry_of ON runs(retry_of) WHERE retry_of IS NOT NULL;
CREATE INDEX runs_queued_by_project ON runs(project_id, seq) WHERE status = 'queued';
)sql",
    // A run that selected no nodes (docs/runs.md, "Nothing selected"); runs ended before
    // it was recorded read false.
    R"sql(
ALTER TABLE runs ADD COLUMN nothing_selected INTEGER NOT NULL DEFAULT 0;
)sql",
    // Node records (docs/runs.md, Node records): one row per dbt node of a run, removed
    // with the run (so a migration that rebuilds `runs` must keep these rows aside first).
    // run_seq is the run's seq: a node's history reads run_nodes_by_node newest run first.
    R"sql(
CREATE TABLE run_nodes (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  run_seq INTEGER NOT NULL,
  unique_id TEXT NOT NULL,
  name TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  execution_time REAL,
  thread TEXT,
  rows_affected INTEGER,
  adapter_response TEXT,
  message TEXT,
  failures INTEGER,
  PRIMARY KEY (run_id, unique_id)
) WITHOUT ROWID;
CREATE INDEX run_nodes_by_node ON run_nodes(unique_id, run_seq);
)sql",
    // The runs list's triggered_by= and until= (docs/api.md, Listing runs and paging).
    R"sql(
CREATE INDEX runs_by_trigger ON runs(triggered_by, seq);
CREATE INDEX runs_by_created ON runs(created_at);
)sql",
    // A project's runs may use a warm dbt worker (docs/runs.md#warm-workers); existing
    // projects read true, as new ones default to.
    R"sql(
ALTER TABLE projects ADD COLUMN warm INTEGER NOT NULL DEFAULT 1;
)sql",
    // A SQLMesh plan's summary, kept with its run (docs/sqlmesh.md, Plans).
    R"sql(
ALTER TABLE runs ADD COLUMN plan_json TEXT;
)sql",
    // Observability (docs/webhooks.md#kinds-of-delivery): the outbox holds Slack messages,
    // OpenLineage events and Airflow asset events beside webhooks, each with its settings.
    R"sql(
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE jobs ADD COLUMN notifications_json TEXT;
ALTER TABLE jobs ADD COLUMN airflow_assets_url TEXT;
ALTER TABLE projects ADD COLUMN openlineage_url TEXT;
)sql",
    // 14: projects from git (docs/api.md#projects-from-git): a project's repository, ref
    // and subfolder, and the commit each run ran.
    R"sql(
ALTER TABLE projects ADD COLUMN git_url TEXT;
ALTER TABLE projects ADD COLUMN git_ref TEXT;
ALTER TABLE projects ADD COLUMN git_subdir TEXT;
ALTER TABLE runs ADD COLUMN git_commit TEXT;
)sql",
    // 15: several daemons on one database (docs/runs.md, Several daemons): each daemon's
    // liveness, which daemon runs a run and until when its lease holds, a cancel asked at
    // another daemon; and one running run per project across daemons.
    R"sql(
CREATE TABLE daemons (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid BIGINT NOT NULL,
  version TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL,
  stopped_at BIGINT,
  api TEXT NOT NULL DEFAULT ''
);
ALTER TABLE runs ADD COLUMN daemon_id TEXT;
ALTER TABLE runs ADD COLUMN lease_until BIGINT;
ALTER TABLE runs ADD COLUMN cancel_requested_at BIGINT;
CREATE UNIQUE INDEX runs_running_per_project ON runs(project_id) WHERE status = 'running';
)sql",
    // 16: several daemons on one database, their leases and claims
    // (docs/schedules.md and docs/webhooks.md, "Several daemons"). Named leases with a fence
    // number; a delivery's claim by the daemon sending it; a scheduled run's fire time, one
    // run per (job, fire time).
    R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until_ms BIGINT NOT NULL,
  fence BIGINT NOT NULL
);
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_until BIGINT;
ALTER TABLE runs ADD COLUMN scheduled_for BIGINT;
CREATE UNIQUE INDEX runs_by_fire_time ON runs(job_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
)sql",
    // 17: what other daemons cannot see of a run while it runs (docs/scale-out.md#logs-and-artifacts):
    // its log as byte ranges of output.log, base64 so that any byte fits a TEXT column on
    // either engine, removed with the run; and its progress. Each daemon's own lease, by
    // which the others judge it lost.
    R"sql(
ALTER TABLE runs ADD COLUMN progress_json TEXT;
ALTER TABLE daemons ADD COLUMN lease_ms BIGINT NOT NULL DEFAULT 30000;
CREATE TABLE run_log_chunks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  start_offset BIGINT NOT NULL,
  end_offset BIGINT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, start_offset)
);
)sql",
};

}  // namespace

int current_schema_version() { return static_cast<int>(kMigrations.size()); }

std::string_view migration(int from) { return kMigrations.at(static_cast<std::size_t>(from)); }

namespace {

std::unique_ptr<SQLite::Database> open_and_migrate(const std::string& path) {
  auto db = std::make_unique<SQLite::Database>(
      path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
  db->setBusyTimeout(5000);
  db->exec("PRAGMA journal_mode=WAL");
  db->exec("PRAGMA synchronous=FULL");
  db->exec("PRAGMA foreign_keys=ON");

  const auto refuse_newer = [&](int version) {
    if (version <= current_schema_version()) return;
    throw std::runtime_error("the database " + path + " has schema version " + std::to_string(version) +
                             ", newer than this dagctld (" + std::to_string(current_schema_version()) +
                             "); upgrade dagctld or use another --data-dir");
  };
  // Up to date: no write lock taken (another process may hold it; the daemon's writes say so).
  const int found = db->execAndGet("PRAGMA user_version").getInt();
  refuse_newer(found);
  if (found == current_schema_version()) return db;
  // One step a transaction, the version read again inside it: daemons starting together on
  // one file (a shared sqlite:/// store) migrate it once, each step by whoever gets there first.
  for (;;) {
    SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    refuse_newer(version);
    if (version == current_schema_version()) break;  // nothing written: rolled back
    db->exec(std::string(kMigrations[static_cast<size_t>(version)]));
    db->exec("PRAGMA user_version=" + std::to_string(version + 1));
    tx.commit();
  }
  return db;
}

}  // namespace

std::unique_ptr<SQLite::Database> open_database(const std::string& path) {
  // Daemons starting together on a new file: switching it to WAL can be refused at once
  // ("database is locked", without the busy handler) while another one does the same.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    try {
      return open_and_migrate(path);
    } catch (const SQLite::Exception& e) {
      if (e.getErrorCode() != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace dagctl::daemon::store
