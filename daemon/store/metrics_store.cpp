#include "daemon/store/metrics_store.hpp"

#include <set>

#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

ModelSuccess read_success(Statement& s) {
  ModelSuccess m;
  m.project_id = s.getColumn("project_id").getString();
  m.unique_id = s.getColumn("unique_id").getString();
  m.name = s.getColumn("name").getString();
  m.finished_at = sql::time(s.getColumn("finished_at"));
  const auto& t = s.getColumn("execution_time");
  if (!t.isNull()) m.execution_time = t.getDouble();
  m.run_seq = s.getColumn("run_seq").getInt64();
  return m;
}

}  // namespace

std::vector<ActiveRuns> MetricsStore::active_runs() {
  ReadLock lock(db_);
  // runs_by_status: only the queued and running rows are read.
  auto s = lock.statement(
      "SELECT project_id, status, COUNT(*) AS n, MIN(created_at) AS oldest FROM runs "
      "WHERE status IN ('queued', 'running') GROUP BY project_id, status");
  std::vector<ActiveRuns> out;
  while (s->executeStep()) {
    ActiveRuns a;
    a.project_id = s->getColumn("project_id").getString();
    a.status = common::parse_run_status(s->getColumn("status").getString()).value_or(RunStatus::queued);
    a.count = s->getColumn("n").getInt64();
    a.oldest_created = sql::time(s->getColumn("oldest"));
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<OutboxBacklog> MetricsStore::outbox_backlog() {
  ReadLock lock(db_);
  // deliveries_due: only the pending rows are read.
  auto s = lock.statement(
      "SELECT kind, COUNT(*) AS n, MIN(created_at) AS oldest FROM deliveries WHERE status = 'pending' GROUP BY kind");
  std::vector<OutboxBacklog> out;
  while (s->executeStep()) {
    OutboxBacklog b;
    b.kind = s->getColumn("kind").getString();
    b.pending = s->getColumn("n").getInt64();
    b.oldest_created = sql::opt_time(s->getColumn("oldest"));
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::string> MetricsStore::model_ids() {
  ReadLock lock(db_);
  // A skip scan of run_nodes_by_node: one seek per distinct id, not one step per record.
  auto s = lock.statement(
      "WITH RECURSIVE ids(id) AS ("
      " SELECT (SELECT MIN(unique_id) FROM run_nodes WHERE unique_id >= 'model.' AND unique_id < 'model/')"
      " UNION ALL"
      " SELECT (SELECT MIN(unique_id) FROM run_nodes WHERE unique_id > ids.id AND unique_id < 'model/')"
      " FROM ids WHERE ids.id IS NOT NULL"
      ") SELECT id FROM ids WHERE id IS NOT NULL");
  std::vector<std::string> out;
  while (s->executeStep()) out.push_back(s->getColumn("id").getString());
  return out;
}

std::vector<ModelSuccess> MetricsStore::last_successes(const std::string& unique_id, size_t projects,
                                                      size_t max_rows) {
  ReadLock lock(db_);
  // run_nodes_by_node backwards: the newest record first.
  auto s = lock.statement(
      "SELECT r.project_id AS project_id, n.unique_id AS unique_id, n.name AS name, n.finished_at AS finished_at, "
      "n.execution_time AS execution_time, n.run_seq AS run_seq "
      "FROM run_nodes n JOIN runs r ON r.id = n.run_id "
      "WHERE n.unique_id = ? AND n.status = 'success' AND n.finished_at IS NOT NULL ORDER BY n.run_seq DESC");
  s->bind(1, unique_id);
  std::vector<ModelSuccess> out;
  std::set<std::string> seen;
  for (size_t rows = 0; seen.size() < projects && rows < max_rows && s->executeStep(); ++rows) {
    auto m = read_success(*s);
    if (seen.insert(m.project_id).second) out.push_back(std::move(m));
  }
  return out;
}

std::vector<ModelSuccess> MetricsStore::run_successes(const std::string& run_id) {
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT r.project_id AS project_id, n.unique_id AS unique_id, n.name AS name, n.finished_at AS finished_at, "
      "n.execution_time AS execution_time, n.run_seq AS run_seq "
      "FROM run_nodes n JOIN runs r ON r.id = n.run_id "
      "WHERE n.run_id = ? AND n.resource_type = 'model' AND n.status = 'success' AND n.finished_at IS NOT NULL");
  s->bind(1, run_id);
  std::vector<ModelSuccess> out;
  while (s->executeStep()) out.push_back(read_success(*s));
  return out;
}

}  // namespace dagctl::daemon::store
