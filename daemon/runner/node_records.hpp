// Node records (docs/runs.md, Node records): what dbt says about each node of a run, from
// its JSON log as the run goes (NodeStart, NodeFinished) and from run_results.json at the
// end; and, for `dbt retry` of a run that left no run_results.json, one made from them.
// Pure: unit-tested with real dbt log lines.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::runner {

// The record one log line gives: NodeStart (status running) or NodeFinished (dbt's
// status, times, thread, adapter response, message, failures); nullopt for other lines.
std::optional<store::NodeRecord> node_record_from_log_line(std::string_view line);

// The records run_results.json holds: authoritative where it has a value.
std::vector<store::NodeRecord> node_records_from_run_results(const nlohmann::json& run_results);

// `newer` over `older`, as NodeStore::upsert merges them: a field `newer` lacks keeps its
// value, and `running` never replaces a finished status.
void merge_node_record(store::NodeRecord& older, const store::NodeRecord& newer);

// The most nodes one run records (docs/limits.md): dbt's largest projects have tens of
// thousands; a log that names more (project code can write to a SQLMesh run's) is cut there.
inline constexpr std::size_t kMaxNodesPerRun = 100000;

// Collects the records of the lines fed since the last clear(), one per node.
class NodeRecorder {
public:
  void feed_line(std::string_view line);
  // Whether the run may record `unique_id`: one it has, or a new one under kMaxNodesPerRun.
  bool admit(const std::string& unique_id);
  // Nodes refused by admit() so far.
  std::size_t dropped() const { return dropped_; }
  const std::vector<store::NodeRecord>& pending() const { return pending_; }
  void clear();
  // dbt's invocation id from the log: run_results.json of another invocation (a retry's
  // copy of the failed run's) is not this run's.
  const std::string& invocation_id() const { return invocation_id_; }

private:
  std::vector<store::NodeRecord> pending_;  // in log order
  std::map<std::string, size_t> index_;     // unique_id -> position in pending_
  std::set<std::string> seen_;              // every node of the run, kept across clear()
  std::size_t dropped_ = 0;
  std::string invocation_id_;
};

// A run_results.json for `dbt retry` (dbt/task/retry.py reads `args` and each result's
// unique_id and status) made from a failed run's node records, when dbt wrote none.
// `argv` is the failed run's validated command. Finished nodes keep their status; nodes
// that started and never finished count as `error`; when the command selects nothing
// (no --select, --exclude, --selector...), the manifest's nodes of the command's resource
// types that never started count as `skipped`. All three are what dbt retry runs again.
nlohmann::json synthesize_run_results(const std::vector<std::string>& argv, const std::vector<store::NodeRecord>& nodes,
                                      const std::optional<nlohmann::json>& manifest, common::TimePoint now);

}  // namespace dagctl::daemon::runner
