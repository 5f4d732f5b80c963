#include "daemon/store/job_store.hpp"

#include "daemon/store/errors.hpp"
#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

const std::string kColumns =
    "id, project_id, name, command, schedule, timezone, timeout_seconds, enabled, catchup, "
    "webhook_enabled, webhook_url, webhook_headers_json, webhook_events_json, created_at, "
    "updated_at, webhook_secret, webhook_auth_json, schedule_checked_at, last_fire_at, last_fire_outcome, "
    "notifications_json, airflow_assets_url";
const std::string kSelect = "SELECT " + kColumns + " FROM jobs";

Job read_job(Statement& s) {
  Job j;
  j.id = s.getColumn("id").getString();
  j.project_id = s.getColumn("project_id").getString();
  j.name = s.getColumn("name").getString();
  j.command = s.getColumn("command").getString();
  j.schedule = sql::opt_text(s.getColumn("schedule"));
  j.timezone = sql::opt_text(s.getColumn("timezone"));
  j.timeout_seconds = sql::opt_int(s.getColumn("timeout_seconds"));
  j.enabled = s.getColumn("enabled").getInt() != 0;
  j.catchup = s.getColumn("catchup").getInt() != 0;
  j.webhook_enabled = s.getColumn("webhook_enabled").getInt() != 0;
  j.webhook_url = sql::opt_text(s.getColumn("webhook_url"));
  j.webhook_headers = nlohmann::json::parse(s.getColumn("webhook_headers_json").getString());
  j.webhook_events =
      nlohmann::json::parse(s.getColumn("webhook_events_json").getString()).get<std::vector<std::string>>();
  j.created_at = sql::time(s.getColumn("created_at"));
  j.updated_at = sql::time(s.getColumn("updated_at"));
  j.webhook_secret = sql::opt_text(s.getColumn("webhook_secret"));
  const auto auth = s.getColumn("webhook_auth_json");
  j.webhook_auth = auth.isNull() ? nlohmann::json(nullptr) : nlohmann::json::parse(auth.getString());
  j.schedule_checked_at = sql::opt_time(s.getColumn("schedule_checked_at"));
  j.last_fire_at = sql::opt_time(s.getColumn("last_fire_at"));
  j.last_fire_outcome = sql::opt_text(s.getColumn("last_fire_outcome"));
  const auto notifications = s.getColumn("notifications_json");
  j.notifications =
      notifications.isNull() ? nlohmann::json::array() : nlohmann::json::parse(notifications.getString());
  j.airflow_assets_url = sql::opt_text(s.getColumn("airflow_assets_url"));
  return j;
}

// The columns a job's owner sets: ?1 is the id, ?2.. follow kFieldColumns' order.
const std::string kFieldColumns[] = {
    "name", "command", "schedule", "timezone", "timeout_seconds", "enabled", "catchup", "webhook_enabled",
    "webhook_url", "webhook_headers_json", "webhook_events_json", "updated_at", "webhook_secret",
    "webhook_auth_json", "schedule_checked_at", "notifications_json", "airflow_assets_url"};

void bind_fields(Statement& s, const Job& j) {
  s.bind(1, j.id);
  s.bind(2, j.name);
  s.bind(3, j.command);
  sql::bind_opt(s, 4, j.schedule);
  sql::bind_opt(s, 5, j.timezone);
  sql::bind_opt(s, 6, j.timeout_seconds);
  s.bind(7, j.enabled ? 1 : 0);
  s.bind(8, j.catchup ? 1 : 0);
  s.bind(9, j.webhook_enabled ? 1 : 0);
  sql::bind_opt(s, 10, j.webhook_url);
  s.bind(11, j.webhook_headers.dump());
  s.bind(12, nlohmann::json(j.webhook_events).dump());
  s.bind(13, common::to_millis(j.updated_at));
  sql::bind_opt(s, 14, j.webhook_secret);
  if (j.webhook_auth.is_null()) {
    s.bind(15);
  } else {
    s.bind(15, j.webhook_auth.dump());
  }
  sql::bind_opt_time(s, 16, j.schedule_checked_at);
  s.bind(17, j.notifications.dump());
  sql::bind_opt(s, 18, j.airflow_assets_url);
}

std::string insert_sql() {
  std::string columns = "id";
  std::string values = "?1";
  int i = 2;
  for (const auto& c : kFieldColumns) {
    columns += ", " + c;
    values += ", ?" + std::to_string(i++);
  }
  return "INSERT INTO jobs (" + columns + ", project_id, created_at, last_fire_at, last_fire_outcome) VALUES (" +
         values + ", ?" + std::to_string(i) + ", ?" + std::to_string(i + 1) + ", ?" + std::to_string(i + 2) +
         ", ?" + std::to_string(i + 3) + ")";
}

std::string update_sql() {
  std::string sets;
  int i = 2;
  for (const auto& c : kFieldColumns) sets += (sets.empty() ? "" : ", ") + c + " = ?" + std::to_string(i++);
  return "UPDATE jobs SET " + sets + " WHERE id = ?1";
}

const std::string kInsert = insert_sql();
const std::string kUpdate = update_sql();
constexpr int kFirstInsertOnly = 19;  // after ?1 and the 17 field columns

StoreError name_taken(const Job& j) {
  return StoreError(StoreError::Kind::conflict, "the project has a job named '" + j.name + "' already; pick another name");
}

}  // namespace

void JobStore::insert(WriteTx& tx, const Job& j) {
  auto s = tx.statement(kInsert);
  bind_fields(*s, j);
  s->bind(kFirstInsertOnly, j.project_id);
  s->bind(kFirstInsertOnly + 1, common::to_millis(j.created_at));
  sql::bind_opt_time(*s, kFirstInsertOnly + 2, j.last_fire_at);
  sql::bind_opt(*s, kFirstInsertOnly + 3, j.last_fire_outcome);
  s->exec();
}

std::vector<Job> JobStore::list(const std::optional<std::string>& project_id) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + (project_id ? " WHERE project_id = ?" : "") + " ORDER BY created_at, name");
  if (project_id) s->bind(1, *project_id);
  std::vector<Job> out;
  while (s->executeStep()) out.push_back(read_job(*s));
  return out;
}

std::optional<Job> JobStore::find(const std::string& id) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE id = ?");
  s->bind(1, id);
  if (!s->executeStep()) return std::nullopt;
  return read_job(*s);
}

std::optional<Job> JobStore::find_by_name(const std::string& project_id, const std::string& name) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE project_id = ? AND name = ?");
  s->bind(1, project_id);
  s->bind(2, name);
  if (!s->executeStep()) return std::nullopt;
  return read_job(*s);
}

void JobStore::create(const Job& j) {
  WriteTx tx(db_);
  try {
    insert(tx, j);
  } catch (const DatabaseError& e) {
    if (e.unique_violation()) throw name_taken(j);
    throw;
  }
  tx.commit();
}

Job JobStore::update(const std::string& id, const std::function<void(Job&)>& edit) {
  WriteTx tx(db_);
  Job stored;
  {
    auto select = tx.statement(kSelect + " WHERE id = ?");
    select->bind(1, id);
    if (!select->executeStep()) throw StoreError(StoreError::Kind::not_found, "no job with id " + id);
    stored = read_job(*select);
  }
  Job job = stored;
  edit(job);
  // What the UPDATE does not write stays as read, so the job returned is the row stored.
  job.id = stored.id;
  job.project_id = stored.project_id;
  job.created_at = stored.created_at;
  job.last_fire_at = stored.last_fire_at;
  job.last_fire_outcome = stored.last_fire_outcome;
  auto s = tx.statement(kUpdate);
  bind_fields(*s, job);
  try {
    s->exec();
  } catch (const DatabaseError& e) {
    if (e.unique_violation()) throw name_taken(job);
    throw;
  }
  tx.commit();
  return job;
}

void JobStore::remove(const std::string& id) {
  WriteTx tx(db_);
  {
    auto active = tx.statement("SELECT COUNT(*) FROM runs WHERE job_id = ? AND status IN ('queued','running')");
    active->bind(1, id);
    active->executeStep();
    if (active->getColumn(0).getInt() > 0) {
      throw StoreError(StoreError::Kind::conflict,
                       "the job has queued or running runs; cancel them first (dagctl cancel RUN)");
    }
  }
  auto del = tx.statement("DELETE FROM jobs WHERE id = ?");
  del->bind(1, id);
  if (del->exec() == 0) throw StoreError(StoreError::Kind::not_found, "no job with id " + id);
  tx.commit();
}

void JobStore::record_schedule(const std::string& job_id, TimePoint checked_at, std::optional<TimePoint> fired_at,
                               const std::optional<std::string>& outcome) {
  WriteTx tx(db_);
  record_schedule(tx, job_id, checked_at, fired_at, outcome);
  tx.commit();
}

void JobStore::record_schedule(WriteTx& tx, const std::string& job_id, TimePoint checked_at,
                               std::optional<TimePoint> fired_at, const std::optional<std::string>& outcome) {
  auto s = tx.statement(
      "UPDATE jobs SET schedule_checked_at = ?, last_fire_at = COALESCE(?, last_fire_at), "
      "last_fire_outcome = COALESCE(?, last_fire_outcome) WHERE id = ?");
  s->bind(1, common::to_millis(checked_at));
  sql::bind_opt_time(*s, 2, fired_at);
  sql::bind_opt(*s, 3, outcome);
  s->bind(4, job_id);
  s->exec();
}

}  // namespace dagctl::daemon::store
