#include "daemon/store/node_store.hpp"

#include <nlohmann/json.hpp>

#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

const std::string kColumns =
    "unique_id, name, resource_type, status, started_at, finished_at, execution_time, thread, rows_affected, "
    "adapter_response, message, failures";

std::optional<double> opt_real(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}
std::optional<std::int64_t> opt_int64(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

NodeRecord read_node(Statement& s) {
  NodeRecord n;
  n.unique_id = s.getColumn("unique_id").getString();
  n.name = s.getColumn("name").getString();
  n.resource_type = s.getColumn("resource_type").getString();
  n.status = s.getColumn("status").getString();
  n.started_at = sql::opt_time(s.getColumn("started_at"));
  n.finished_at = sql::opt_time(s.getColumn("finished_at"));
  n.execution_time = opt_real(s.getColumn("execution_time"));
  n.thread = sql::opt_text(s.getColumn("thread"));
  n.rows_affected = opt_int64(s.getColumn("rows_affected"));
  n.adapter_response = sql::opt_text(s.getColumn("adapter_response"));
  n.message = sql::opt_text(s.getColumn("message"));
  n.failures = opt_int64(s.getColumn("failures"));
  return n;
}

// Bound as one parameter, read by json_each: one cached statement for any page size.
std::string json_array(const std::vector<std::string>& values) { return nlohmann::json(values).dump(); }

}  // namespace

void NodeStore::upsert(const std::string& run_id, const std::vector<NodeRecord>& nodes) {
  if (nodes.empty()) return;
  WriteTx tx(db_);
  auto s = tx.statement(
      "INSERT INTO run_nodes (run_id, run_seq, " + kColumns +
      ") VALUES (?1, (SELECT seq FROM runs WHERE id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
      "ON CONFLICT (run_id, unique_id) DO UPDATE SET "
      "name = CASE WHEN excluded.name != '' THEN excluded.name ELSE run_nodes.name END, "
      "resource_type = CASE WHEN excluded.resource_type != '' THEN excluded.resource_type "
      "  ELSE run_nodes.resource_type END, "
      "status = excluded.status, "
      "started_at = COALESCE(excluded.started_at, run_nodes.started_at), "
      "finished_at = COALESCE(excluded.finished_at, run_nodes.finished_at), "
      "execution_time = COALESCE(excluded.execution_time, run_nodes.execution_time), "
      "thread = COALESCE(excluded.thread, run_nodes.thread), "
      "rows_affected = COALESCE(excluded.rows_affected, run_nodes.rows_affected), "
      "adapter_response = COALESCE(excluded.adapter_response, run_nodes.adapter_response), "
      "message = COALESCE(excluded.message, run_nodes.message), "
      "failures = COALESCE(excluded.failures, run_nodes.failures) "
      "WHERE NOT (excluded.status = 'running' AND run_nodes.status != 'running')");
  for (const auto& n : nodes) {
    s->reset();
    s->clearBindings();
    s->bind(1, run_id);
    s->bind(2, n.unique_id);
    s->bind(3, n.name);
    s->bind(4, n.resource_type);
    s->bind(5, n.status);
    sql::bind_opt_time(*s, 6, n.started_at);
    sql::bind_opt_time(*s, 7, n.finished_at);
    sql::bind_opt(*s, 8, n.execution_time);
    sql::bind_opt(*s, 9, n.thread);
    sql::bind_opt(*s, 10, n.rows_affected);
    sql::bind_opt(*s, 11, n.adapter_response);
    std::optional<std::string> message = n.message;
    if (message && message->size() > kMaxNodeMessage) {
      // Cut before a UTF-8 continuation byte's character, never inside it.
      size_t end = kMaxNodeMessage;
      while (end > 0 && (static_cast<unsigned char>((*message)[end]) & 0xC0) == 0x80) --end;
      message->resize(end);
    }
    sql::bind_opt(*s, 12, message);
    sql::bind_opt(*s, 13, n.failures);
    s->exec();
  }
  tx.commit();
}

std::vector<NodeRecord> NodeStore::list(const std::string& run_id, const std::vector<std::string>& statuses) {
  ReadLock lock(db_);
  auto s = lock.statement("SELECT " + kColumns +
                          " FROM run_nodes WHERE run_id = ?1 "
                          "AND (CAST(?2 AS TEXT) IS NULL OR status IN (SELECT value FROM json_each(?2))) "
                          "ORDER BY started_at IS NULL, started_at, unique_id");
  s->bind(1, run_id);
  if (statuses.empty()) {
    s->bind(2);
  } else {
    s->bind(2, json_array(statuses));
  }
  std::vector<NodeRecord> out;
  while (s->executeStep()) out.push_back(read_node(*s));
  return out;
}

std::map<std::string, NodeSummary> NodeStore::summaries(const std::vector<std::string>& run_ids) {
  std::map<std::string, NodeSummary> out;
  if (run_ids.empty()) return out;
  const std::string ids = json_array(run_ids);
  ReadLock lock(db_);
  {
    auto s = lock.statement(
        "SELECT run_id, status, COUNT(*) AS n FROM run_nodes "
        "WHERE run_id IN (SELECT value FROM json_each(?)) GROUP BY run_id, status ORDER BY run_id, status");
    s->bind(1, ids);
    while (s->executeStep()) {
      out[s->getColumn("run_id").getString()].counts.emplace_back(s->getColumn("status").getString(),
                                                                  s->getColumn("n").getInt());
    }
  }
  auto s = lock.statement(
      "SELECT run_id, " + kColumns +
      " FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY execution_time DESC, unique_id) AS rank "
      "      FROM run_nodes WHERE run_id IN (SELECT value FROM json_each(?)) "
      "      AND execution_time IS NOT NULL AND status NOT IN ('running', 'interrupted')) AS ranked "
      "WHERE rank <= 5 ORDER BY run_id, rank");
  s->bind(1, ids);
  while (s->executeStep()) out[s->getColumn("run_id").getString()].slowest.push_back(read_node(*s));
  return out;
}

std::vector<NodeRun> NodeStore::history(const std::string& project_id, const std::string& unique_id, int limit) {
  ReadLock lock(db_);
  auto s = lock.statement(
      "SELECT r.id AS run_id, r.job_id AS job_id, r.job_name AS job_name, r.status AS run_status, "
      "n.unique_id AS unique_id, n.name AS name, n.resource_type AS resource_type, n.status AS status, "
      "n.started_at AS started_at, n.finished_at AS finished_at, n.execution_time AS execution_time, "
      "n.thread AS thread, n.rows_affected AS rows_affected, n.adapter_response AS adapter_response, "
      "n.message AS message, n.failures AS failures "
      "FROM run_nodes n JOIN runs r ON r.id = n.run_id "
      "WHERE n.unique_id = ? AND r.project_id = ? ORDER BY n.run_seq DESC LIMIT ?");
  s->bind(1, unique_id);
  s->bind(2, project_id);
  s->bind(3, limit);
  std::vector<NodeRun> out;
  while (s->executeStep()) {
    NodeRun r;
    r.run_id = s->getColumn("run_id").getString();
    r.job_id = s->getColumn("job_id").getString();
    r.job_name = s->getColumn("job_name").getString();
    r.run_status = common::parse_run_status(s->getColumn("run_status").getString()).value_or(RunStatus::error);
    r.node = read_node(*s);
    out.push_back(std::move(r));
  }
  return out;
}

void NodeStore::interrupt_running(Session& tx, const std::string& run_id) {
  auto s = tx.statement("UPDATE run_nodes SET status = 'interrupted' WHERE run_id = ? AND status = 'running'");
  s->bind(1, run_id);
  s->exec();
}

}  // namespace dagctl::daemon::store
