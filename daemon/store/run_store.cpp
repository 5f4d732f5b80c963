#include "daemon/store/run_store.hpp"

#include "daemon/store/delivery_store.hpp"
#include "daemon/store/errors.hpp"
#include "daemon/store/node_store.hpp"
#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

const std::string kSelect =
    "SELECT seq, id, job_id, project_id, job_name, status, triggered_by, command, command_override, "
    "retry_of, created_at, start_time, end_time, exit_code, error_message, results_json, nothing_selected, plan_json, pid, "
    "pid_start_ticks, daemon_id, git_commit, progress_json, "
    "(SELECT name FROM projects WHERE projects.id = runs.project_id) AS project_name, "
    "(SELECT name FROM jobs WHERE jobs.id = runs.job_id) AS job_current_name FROM runs";

Run read_run(Statement& s) {
  Run r;
  r.seq = s.getColumn("seq").getInt64();
  r.id = s.getColumn("id").getString();
  r.job_id = s.getColumn("job_id").getString();
  r.project_id = s.getColumn("project_id").getString();
  r.job_name = s.getColumn("job_name").getString();
  r.status = common::parse_run_status(s.getColumn("status").getString()).value_or(RunStatus::error);
  r.triggered_by = s.getColumn("triggered_by").getString();
  r.command = s.getColumn("command").getString();
  r.command_override = sql::opt_text(s.getColumn("command_override"));
  r.retry_of = sql::opt_text(s.getColumn("retry_of"));
  r.created_at = sql::time(s.getColumn("created_at"));
  r.start_time = sql::opt_time(s.getColumn("start_time"));
  r.end_time = sql::opt_time(s.getColumn("end_time"));
  r.exit_code = sql::opt_int(s.getColumn("exit_code"));
  r.error_message = sql::opt_text(s.getColumn("error_message"));
  r.results = nlohmann::json::parse(s.getColumn("results_json").getString());
  r.nothing_selected = s.getColumn("nothing_selected").getInt() != 0;
  if (const auto plan = s.getColumn("plan_json"); !plan.isNull()) {
    r.plan = nlohmann::json::parse(plan.getString(), nullptr, /*allow_exceptions=*/false);
    if (r.plan.is_discarded()) r.plan = nullptr;
  }
  r.pid = s.getColumn("pid").getInt();
  r.pid_start_ticks = s.getColumn("pid_start_ticks").getInt64();
  r.daemon_id = sql::opt_text(s.getColumn("daemon_id"));
  r.project_name = s.getColumn("project_name").getString();
  r.job_current_name = sql::opt_text(s.getColumn("job_current_name"));
  r.git_commit = sql::opt_text(s.getColumn("git_commit"));
  r.progress_json = sql::opt_text(s.getColumn("progress_json"));
  return r;
}

std::vector<Run> read_runs(Statement& s) {
  std::vector<Run> out;
  while (s.executeStep()) out.push_back(read_run(s));
  return out;
}

}  // namespace

void RunStore::insert(const Run& r, int max_queued_per_job) {
  WriteTx tx(db_);
  insert(tx, r, max_queued_per_job);
  tx.commit();
}

void RunStore::insert(WriteTx& tx, const Run& r, int max_queued_per_job) {
  {
    auto queued = tx.statement("SELECT COUNT(*) FROM runs WHERE job_id = ? AND status = 'queued'");
    queued->bind(1, r.job_id);
    queued->executeStep();
    if (queued->getColumn(0).getInt() >= max_queued_per_job) {
      throw StoreError(StoreError::Kind::queue_full,
                       "the job has " + std::to_string(max_queued_per_job) +
                           " runs queued already (the limit); wait for some to finish and retry");
    }
  }
  if (r.retry_of) {
    // Checked in this transaction: retention cannot delete the source between the
    // caller's look and this insert.
    auto source = tx.statement("SELECT 1 FROM runs WHERE id = ?");
    source->bind(1, *r.retry_of);
    if (!source->executeStep()) {
      throw StoreError(StoreError::Kind::not_found,
                       "run " + *r.retry_of + " was deleted (retention); trigger the job again instead");
    }
  }
  auto s = tx.statement(
      "INSERT INTO runs (id, job_id, project_id, job_name, status, triggered_by, command, "
      "command_override, retry_of, created_at, git_commit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s->bind(1, r.id);
  s->bind(2, r.job_id);
  s->bind(3, r.project_id);
  s->bind(4, r.job_name);
  s->bind(5, std::string(common::to_string(r.status)));
  s->bind(6, r.triggered_by);
  s->bind(7, r.command);
  sql::bind_opt(*s, 8, r.command_override);
  sql::bind_opt(*s, 9, r.retry_of);
  s->bind(10, common::to_millis(r.created_at));
  sql::bind_opt(*s, 11, r.git_commit);
  s->exec();
}

std::optional<Run> RunStore::find(const std::string& id) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE id = ?");
  s->bind(1, id);
  if (!s->executeStep()) return std::nullopt;
  return read_run(*s);
}

std::string RunStore::list_query(const RunFilter& f) {
  std::string where = " WHERE 1=1";
  if (f.job_id) where += " AND job_id = :job";
  if (f.project_id) where += " AND project_id = :project";
  if (!f.statuses.empty()) {
    where += " AND status IN (";
    for (size_t i = 0; i < f.statuses.size(); ++i) where += (i ? ", :status" : ":status") + std::to_string(i);
    where += ")";
  }
  if (!f.triggered_by.empty()) {
    where += " AND triggered_by IN (";
    for (size_t i = 0; i < f.triggered_by.size(); ++i) where += (i ? ", :trigger" : ":trigger") + std::to_string(i);
    where += ")";
  }
  // "+": not through runs_by_created, which would sort every matching run; the page is
  // read newest first along seq and stops at `limit`.
  if (f.created_since) where += " AND +created_at >= :since";
  // Runs are created in seq order, so the first run created at or after `until` (one seek
  // in runs_by_created) bounds the seq range: the scan starts there, not at the newest run.
  if (f.created_until) {
    where += " AND seq < coalesce((SELECT seq FROM runs WHERE created_at >= :until ORDER BY created_at LIMIT 1), "
             "9223372036854775807) AND +created_at < :until";
  }
  if (f.id_prefix) where += " AND substr(id, 1, length(CAST(:prefix AS TEXT))) = :prefix";
  if (f.before_seq) where += " AND seq < :before";
  return kSelect + where + " ORDER BY seq DESC LIMIT :limit";
}

std::vector<Run> RunStore::list(const RunFilter& f) {
  ReadLock lock(db_);
  auto s = lock.statement(list_query(f));
  if (f.job_id) s->bind(":job", *f.job_id);
  if (f.project_id) s->bind(":project", *f.project_id);
  for (size_t i = 0; i < f.statuses.size(); ++i) {
    const std::string name = ":status" + std::to_string(i);
    s->bind(name.c_str(), std::string(common::to_string(f.statuses[i])));
  }
  for (size_t i = 0; i < f.triggered_by.size(); ++i) {
    const std::string name = ":trigger" + std::to_string(i);
    s->bind(name.c_str(), f.triggered_by[i]);
  }
  if (f.created_since) s->bind(":since", common::to_millis(*f.created_since));
  if (f.created_until) s->bind(":until", common::to_millis(*f.created_until));
  if (f.id_prefix) s->bind(":prefix", *f.id_prefix);
  if (f.before_seq) s->bind(":before", *f.before_seq);
  s->bind(":limit", f.limit);
  return read_runs(*s);
}

std::map<std::string, RunBrief> RunStore::last_runs(const std::string& project_id,
                                                    const std::optional<std::string>& job_id) {
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT jobs.id AS job, runs.id, runs.status, runs.created_at, runs.end_time FROM jobs "
      "JOIN runs ON runs.seq = (SELECT max(seq) FROM runs WHERE runs.job_id = jobs.id) "
      "WHERE jobs.project_id = :project AND (CAST(:job AS TEXT) IS NULL OR jobs.id = :job)");
  s->bind(":project", project_id);
  if (job_id) s->bind(":job", *job_id); else s->bind(":job");
  std::map<std::string, RunBrief> out;
  while (s->executeStep()) {
    RunBrief b;
    b.id = s->getColumn("id").getString();
    b.status = common::parse_run_status(s->getColumn("status").getString()).value_or(RunStatus::error);
    b.created_at = sql::time(s->getColumn("created_at"));
    b.end_time = sql::opt_time(s->getColumn("end_time"));
    out.emplace(s->getColumn("job").getString(), std::move(b));
  }
  return out;
}

std::vector<Run> RunStore::with_status(RunStatus status) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE status = ? ORDER BY seq");
  s->bind(1, std::string(common::to_string(status)));
  return read_runs(*s);
}

std::vector<Run> RunStore::next_queued(const std::set<std::string>& skip_projects, int limit) {
  ReadLock lock(db_);
  std::vector<std::int64_t> seqs;
  {
    auto heads = lock.statement(
        "SELECT project_id, MIN(seq) AS head FROM runs WHERE status = 'queued' GROUP BY project_id ORDER BY head");
    while (heads->executeStep() && static_cast<int>(seqs.size()) < limit) {
      if (!skip_projects.count(heads->getColumn("project_id").getString())) {
        seqs.push_back(heads->getColumn("head").getInt64());
      }
    }
  }
  auto s = lock.statement(kSelect + " WHERE seq = ?");
  std::vector<Run> out;
  for (const auto seq : seqs) {
    s->reset();
    s->bind(1, seq);
    if (s->executeStep()) out.push_back(read_run(*s));
  }
  return out;
}

RunCounts RunStore::count_active() {
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT status, COUNT(*) AS n FROM runs WHERE status IN ('queued','running') GROUP BY status");
  RunCounts counts;
  while (s->executeStep()) {
    const std::string status = s->getColumn("status").getString();
    (status == "queued" ? counts.queued : counts.running) = s->getColumn("n").getInt();
  }
  return counts;
}

bool RunStore::has_active(const std::string& job_id) {
  ReadLock lock(db_);
  auto s = lock.statement("SELECT 1 FROM runs WHERE job_id = ? AND status IN ('queued','running') LIMIT 1");
  s->bind(1, job_id);
  return s->executeStep();
}

std::optional<std::string> RunStore::newest_successful(const std::string& job_id) {
  ReadLock lock(db_);
  // A run that built nothing leaves no state worth deferring to: one that selected nothing,
  // or a listing (dagctl ls runs dbt ls as a run of the job).
  auto s = lock.statement(
      "SELECT id FROM runs WHERE job_id = ? AND status = 'success' AND nothing_selected = 0 "
      "AND command NOT IN ('dbt ls', 'dbt list') AND command NOT LIKE 'dbt ls %' AND command NOT LIKE 'dbt list %' "
      "ORDER BY seq DESC LIMIT 1");
  s->bind(1, job_id);
  if (!s->executeStep()) return std::nullopt;
  return s->getColumn("id").getString();
}

namespace {

// This daemon's run: queued (no daemon yet) or running here. A run claimed without a
// daemon id (tests, a database from before several daemons) is everyone's.
const std::string kOwnRun = "(status = 'queued' OR (status = 'running' AND (daemon_id IS NULL OR daemon_id = :me)))";

// The run as stored, for the deliveries its change owes.
std::vector<Delivery> owed_by(WriteTx& tx, const std::string& id, const DeliveryOwed& owed) {
  if (!owed) return {};
  std::optional<Run> run;
  {
    auto select = tx.statement(kSelect + " WHERE id = ?");
    select->bind(1, id);
    if (select->executeStep()) run = read_run(*select);
  }
  return run ? owed(*run) : std::vector<Delivery>{};
}

void bind_me(Statement& s, const std::string& me) {
  if (me.empty()) s.bind(":me"); else s.bind(":me", me);
}

}  // namespace

bool RunStore::mark_running(const std::string& id, TimePoint start_time, const DeliveryOwed& owed) {
  return claim(id, start_time, owed) == Claim::started;
}

Claim RunStore::claim(const std::string& id, TimePoint start_time, const DeliveryOwed& owed) {
  WriteTx tx(db_);
  // Counting running runs against the system's limit must not pass on two daemons at once.
  tx.serialize("dispatch");
  std::string project_id;
  {
    auto s = tx.statement("SELECT project_id FROM runs WHERE id = ? AND status = 'queued'");
    s->bind(1, id);
    if (!s->executeStep()) return Claim::gone;
    project_id = s->getColumn("project_id").getString();
  }
  {
    // Also the unique index runs_running_per_project's rule: asked first, so that a busy
    // project is an answer, not an error.
    auto s = tx.statement("SELECT 1 FROM runs WHERE project_id = ? AND status = 'running'");
    s->bind(1, project_id);
    if (s->executeStep()) return Claim::project_busy;
  }
  if (owner_.system_max_parallel > 0) {
    auto s = tx.statement("SELECT count(*) AS n FROM runs WHERE status = 'running'");
    s->executeStep();
    if (s->getColumn("n").getInt() >= owner_.system_max_parallel) return Claim::system_full;
  }
  {
    auto s = tx.statement(
        "UPDATE runs SET status = 'running', start_time = :start, daemon_id = :me, lease_until = :until, "
        "cancel_requested_at = NULL WHERE id = :id AND status = 'queued'");
    s->bind(":start", common::to_millis(start_time));
    bind_me(*s, owner_.daemon_id);
    s->bind(":until", common::to_millis(start_time + owner_.lease));
    s->bind(":id", id);
    if (s->exec() != 1) return Claim::gone;
  }
  for (const auto& delivery : owed_by(tx, id, owed)) DeliveryStore::insert(tx, delivery);
  tx.commit();
  return Claim::started;
}

void RunStore::record_process(const std::string& id, int pid, std::int64_t start_ticks) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE runs SET pid = :pid, pid_start_ticks = :ticks WHERE id = :id AND status = 'running' "
                        "AND (daemon_id IS NULL OR daemon_id = :me)");
  s->bind(":pid", pid);
  s->bind(":ticks", start_ticks);
  s->bind(":id", id);
  bind_me(*s, owner_.daemon_id);
  s->exec();
  tx.commit();
}

bool RunStore::record_progress(const std::string& id, const std::string& progress_json) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE runs SET progress_json = :progress WHERE id = :id AND status = 'running' "
                        "AND (daemon_id IS NULL OR daemon_id = :me)");
  s->bind(":progress", progress_json);
  s->bind(":id", id);
  bind_me(*s, owner_.daemon_id);
  const bool changed = s->exec() == 1;
  tx.commit();
  return changed;
}

void RunStore::record_git_commit(const std::string& id, const std::string& commit) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE runs SET git_commit = ? WHERE id = ?");
  s->bind(1, commit);
  s->bind(2, id);
  s->exec();
  tx.commit();
}

bool RunStore::finish(const std::string& id, RunStatus status, TimePoint end_time, std::optional<int> exit_code,
                      std::optional<std::string> error_message, const nlohmann::json& results,
                      const DeliveryOwed& owed, bool nothing_selected, const nlohmann::json& plan) {
  return end(id, status, end_time, exit_code, std::move(error_message), results, owed, nothing_selected, plan, kOwnRun,
             owner_.daemon_id);
}

bool RunStore::end(const std::string& id, RunStatus status, TimePoint end_time, std::optional<int> exit_code,
                   std::optional<std::string> error_message, const nlohmann::json& results, const DeliveryOwed& owed,
                   bool nothing_selected, const nlohmann::json& plan, const std::string& fence, const std::string& me) {
  WriteTx tx(db_);
  bool changed = false;
  {
    auto s = tx.statement(
        "UPDATE runs SET status = :status, end_time = :end, exit_code = :exit, error_message = :error, "
        "results_json = :results, nothing_selected = :nothing, plan_json = :plan, pid = 0, pid_start_ticks = 0, "
        "lease_until = NULL, progress_json = NULL WHERE id = :id AND " + fence);
    s->bind(":status", std::string(common::to_string(status)));
    s->bind(":end", common::to_millis(end_time));
    if (exit_code) s->bind(":exit", *exit_code); else s->bind(":exit");
    if (error_message) s->bind(":error", *error_message); else s->bind(":error");
    s->bind(":results", results.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    s->bind(":nothing", nothing_selected ? 1 : 0);
    if (plan.is_null()) {
      s->bind(":plan");
    } else {
      s->bind(":plan", plan.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    s->bind(":id", id);
    bind_me(*s, me);
    if (fence.find(":now") != std::string::npos) s->bind(":now", common::to_millis(end_time));
    changed = s->exec() == 1;
  }
  if (!changed) return false;
  NodeStore::interrupt_running(tx, id);
  for (const auto& delivery : owed_by(tx, id, owed)) DeliveryStore::insert(tx, delivery);
  tx.commit();
  return true;
}

std::vector<std::string> RunStore::renew_leases(const std::vector<std::string>& ids, TimePoint until) {
  std::vector<std::string> lost;
  if (ids.empty()) return lost;
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE runs SET lease_until = :until WHERE id = :id AND status = 'running' "
                        "AND (daemon_id IS NULL OR daemon_id = :me)");
  for (const auto& id : ids) {
    s->reset();
    s->bind(":until", common::to_millis(until));
    s->bind(":id", id);
    bind_me(*s, owner_.daemon_id);
    if (s->exec() != 1) lost.push_back(id);
  }
  tx.commit();
  return lost;
}

bool RunStore::request_cancel(const std::string& id, TimePoint at) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, ?) "
                        "WHERE id = ? AND status = 'running'");
  s->bind(1, common::to_millis(at));
  s->bind(2, id);
  const bool running = s->exec() == 1;
  tx.commit();
  return running;
}

std::vector<std::string> RunStore::cancel_requested() {
  ReadLock lock(db_);
  auto s = lock.statement("SELECT id FROM runs WHERE status = 'running' AND cancel_requested_at IS NOT NULL "
                          "AND (daemon_id IS NULL OR daemon_id = :me) ORDER BY seq");
  bind_me(*s, owner_.daemon_id);
  std::vector<std::string> out;
  while (s->executeStep()) out.push_back(s->getColumn("id").getString());
  return out;
}

std::vector<LostRun> RunStore::expired(TimePoint now) {
  std::vector<std::pair<std::string, std::string>> found;  // run id, host
  std::vector<LostRun> out;
  ReadLock lock(db_);
  {
    auto s = lock.statement(
        "SELECT id, daemon_id, coalesce((SELECT host FROM daemons WHERE daemons.id = runs.daemon_id), '') AS host "
        "FROM runs WHERE status = 'running' AND lease_until < :now AND daemon_id IS NOT NULL "
        "AND daemon_id != :me ORDER BY seq");
    s->bind(":now", common::to_millis(now));
    s->bind(":me", owner_.daemon_id);
    while (s->executeStep()) {
      LostRun lost;
      lost.run.id = s->getColumn("id").getString();
      lost.daemon_id = s->getColumn("daemon_id").getString();
      lost.host = s->getColumn("host").getString();
      out.push_back(std::move(lost));
    }
  }
  auto s = lock.statement(kSelect + " WHERE id = ?");
  for (auto& lost : out) {
    s->reset();
    s->bind(1, lost.run.id);
    if (s->executeStep()) lost.run = read_run(*s);
  }
  return out;
}

bool RunStore::end_lost(const LostRun& lost, TimePoint now, const std::string& message, const DeliveryOwed& owed) {
  return end(lost.run.id, RunStatus::error, now, std::nullopt, message, nlohmann::json::object(), owed, false, nullptr,
             "status = 'running' AND daemon_id = :me AND lease_until < :now", lost.daemon_id);
}

std::vector<std::string> RunStore::prune(std::optional<TimePoint> ended_before, int keep_per_job, int limit) {
  WriteTx tx(db_);
  std::vector<std::string> ids;
  {
    // Rank counts every run of the job, queued ones included: "the newest N" is what the
    // user sees in `dagctl runs JOB`.
    auto pick = tx.statement(
        "WITH ranked AS (SELECT id, seq, status, COALESCE(end_time, created_at) AS ended, "
        "  ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY seq DESC) AS newest FROM runs) "
        "SELECT id FROM ranked "
        "WHERE status IN ('success','partial','failed','error','cancelled') "
        "  AND ((?1 > 0 AND newest > ?1) OR (CAST(?2 AS BIGINT) IS NOT NULL AND ended < ?2)) "
        "  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.run_id = ranked.id AND d.status = 'pending') "
        "  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.retry_of = ranked.id "
        "                  AND r.status IN ('queued','running')) "
        "ORDER BY seq LIMIT ?3");
    pick->bind(1, keep_per_job);
    sql::bind_opt_time(*pick, 2, ended_before);
    pick->bind(3, limit);
    while (pick->executeStep()) ids.push_back(pick->getColumn("id").getString());
  }
  auto deliveries = tx.statement("DELETE FROM deliveries WHERE run_id = ? AND status != 'pending'");
  auto runs = tx.statement("DELETE FROM runs WHERE id = ?");
  for (const auto& id : ids) {
    for (Statement* s : {&*deliveries, &*runs}) {
      s->reset();
      s->bind(1, id);
      s->exec();
    }
  }
  tx.commit();
  return ids;
}

std::vector<std::string> RunStore::unknown_ids(const std::vector<std::string>& names) {
  return store::unknown_ids(db_, "SELECT 1 FROM runs WHERE id = ?", names);
}

}  // namespace dagctl::daemon::store
