// Starting a SQLMesh run (docs/sqlmesh.md): SQLMesh's own CLI, run through dagctl's plugin
// (dagctl_sqlmesh.py, built into dagctld) with the interpreter of the project's `sqlmesh`,
// so that its events come out in the structured-log and run_results.json shapes the
// executor already reads from dbt.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace dagctl::daemon::runner::sqlmesh {

// The plugin's Python (cmake/EmbedText.cmake).
std::string_view plugin_source();

// The plugin's events, JSON lines in the run's logs folder (DAGCTL_SQLMESH_LOG).
inline constexpr const char* kEventLog = "sqlmesh.log";
// A plan's summary in the run's target folder (DAGCTL_SQLMESH_TARGET).
inline constexpr const char* kPlanFile = "plan.json";

struct Launch {
  std::vector<std::string> argv;
  common::Fd plugin;  // passed as fd 3; empty when sqlmesh runs without the plugin
  // Set when it does: why the run has no per-model records.
  std::optional<std::string> without_plugin;
};

// How to start `words` (a validated command, "sqlmesh" first) with the sqlmesh found at
// `executable`: through the plugin when that is a Python script, else as it is.
common::Result<Launch> launch(const std::string& executable, const std::vector<std::string>& words);

// What dagctl sets in a SQLMesh run's environment, over `env` (the inherited variables and
// the project's --env): the plugin's two paths, the run id, no colour, no analytics.
std::vector<std::string> environment(std::map<std::string, std::string> env, const std::string& run_id,
                                     const std::string& target_dir, const std::string& logs_dir);

// The lists of a plan's summary, and how much of them the run keeps.
inline constexpr const char* kPlanLists[] = {"added", "removed", "directly_modified", "indirectly_modified",
                                             "metadata_updated", "backfill"};
inline constexpr std::size_t kMaxPlanNames = 100;
inline constexpr std::uintmax_t kMaxPlanFileBytes = 16 * 1024 * 1024;

// The summary of target/plan.json kept with the run: environment, applied, each list's
// first kMaxPlanNames entries and `counts` (each list's length). Null when the run built
// no plan, or wrote one that is not a JSON object or is over kMaxPlanFileBytes.
nlohmann::json read_plan(const std::string& target_dir);

}  // namespace dagctl::daemon::runner::sqlmesh
