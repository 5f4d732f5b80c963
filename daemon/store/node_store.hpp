// Node records (docs/runs.md, Node records): each dbt node of a run, written while dbt runs
// and reconciled at its end; removed with their run (ON DELETE CASCADE).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"
#include "daemon/store/owner.hpp"

namespace dagctl::daemon::store {

class NodeStore {
public:
  // Writes act for `owner`'s daemon (owner.hpp).
  NodeStore(Connection& db, const Owner& owner) : db_(db), owner_(owner) {}

  // Writes a batch in one transaction. A node's newer record replaces its older one; a field
  // the newer one lacks keeps its value, and `running` never replaces a finished status.
  // Nothing is written once the run ended or runs on another daemon (docs/runs.md, Several daemons).
  void upsert(const std::string& run_id, const std::vector<NodeRecord>& nodes);
  // A run's nodes ordered by started_at (never started last), then unique_id; only those
  // with one of `statuses` when it is not empty.
  std::vector<NodeRecord> list(const std::string& run_id, const std::vector<std::string>& statuses = {});
  // For each run of `run_ids` that has nodes: counts per status and the 5 slowest finished
  // nodes. Two grouped queries for the whole page, however many runs it holds.
  std::map<std::string, NodeSummary> summaries(const std::vector<std::string>& run_ids);
  // The node's records in the project's runs, newest run first.
  std::vector<NodeRun> history(const std::string& project_id, const std::string& unique_id, int limit);

  // Nodes still `running` when their run ends: `interrupted`. Called in RunStore::finish's
  // transaction, so every way a run ends (dbt exited, cancel, recovery) does it.
  static void interrupt_running(Session& tx, const std::string& run_id);

private:
  Connection& db_;
  const Owner& owner_;
};

}  // namespace dagctl::daemon::store
