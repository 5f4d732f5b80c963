// Turns how dbt ended into the run's terminal status (docs/runs.md). Pure: unit-tested
// without dbt.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/run_status.hpp"
#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner {

// Why the daemon stopped a run before dbt ended by itself.
enum class StopReason { none, cancelled, timed_out, daemon_stopped };

struct Outcome {
  common::RunStatus status = common::RunStatus::error;
  std::optional<int> exit_code;
  std::optional<std::string> error_message;  // nullopt on success
  nlohmann::json results = nlohmann::json::object();  // node status -> count
  bool nothing_selected = false;  // success having selected no nodes (docs/runs.md)
  nlohmann::json plan = nullptr;  // a SQLMesh plan's summary (docs/sqlmesh.md, Plans)
};

// What dbt left behind that says how it went.
struct DbtReport {
  std::optional<nlohmann::json> run_results;  // target/run_results.json, when written
  std::optional<std::string> fatal_error;     // its "Encountered an error" text, if any
  bool nothing_to_do = false;                 // its log said it selected no nodes
};

// What dbt's JSON log file says about the run's end.
struct DbtLogFacts {
  std::optional<std::string> fatal_error;  // event MainEncounteredError's text, flattened
  bool nothing_to_do = false;              // event NothingToDo or NoNodesSelected
};
DbtLogFacts read_dbt_log_facts(const std::string& json_log_path);

// `tool` is "dbt" or "sqlmesh": SQLMesh exits 1 for failed models and for errors alike, so
// its exit 1 without a failed node is an error (docs/sqlmesh.md, Statuses).
Outcome classify(const ExitStatus& exit, StopReason reason, const DbtReport& report,
                 int timeout_seconds, std::string_view tool = "dbt");

// The text of dbt's fatal error (event MainEncounteredError) in its JSON log file, if any.
inline std::optional<std::string> find_fatal_error(const std::string& json_log_path) {
  return read_dbt_log_facts(json_log_path).fatal_error;
}

// {"success": 5, "error": 1, ...} from run_results.json's results[].status.
nlohmann::json count_results(const nlohmann::json& run_results);

}  // namespace dagctl::daemon::runner
