#include "daemon/runner/sqlmesh/launch.hpp"

#include <filesystem>
#include <fstream>
#include <variant>

#include "daemon/runner/executor.hpp"
#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner::sqlmesh {

common::Result<Launch> launch(const std::string& executable, const std::vector<std::string>& words) {
  Launch out;
  auto python = python_of(executable);
  if (std::holds_alternative<std::string>(python)) {  // its reason speaks of warm dbt workers
    out.argv = {executable};
    out.argv.insert(out.argv.end(), words.begin() + 1, words.end());
    out.without_plugin = "'" + executable + "' is not a Python script (a wrapper or a binary)";
    return out;
  }
  auto plugin = sealed_memfd("dagctl_sqlmesh.py", plugin_source());
  if (!plugin) return common::make_error(plugin.error());
  out.plugin = std::move(plugin).value();
  out.argv = std::get<std::vector<std::string>>(std::move(python));
  out.argv.push_back("/proc/self/fd/3");
  out.argv.insert(out.argv.end(), words.begin() + 1, words.end());
  return out;
}

std::vector<std::string> environment(std::map<std::string, std::string> env, const std::string& run_id,
                                     const std::string& target_dir, const std::string& logs_dir) {
  // Logs are files read later and in other terminals: no colour, no redrawn progress bars.
  if (!env.count("NO_COLOR")) env["NO_COLOR"] = "1";
  if (!env.count("TERM")) env["TERM"] = "dumb";
  // SQLMesh phones home unless told not to; respect a user who said otherwise.
  if (!env.count("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS") && !env.count("DO_NOT_TRACK")) {
    env["SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"] = "1";
  }
  env["DAGCTL_SQLMESH_LOG"] = logs_dir + "/" + kEventLog;
  env["DAGCTL_SQLMESH_TARGET"] = target_dir;
  env["DAGCTL_RUN_ID"] = run_id;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

nlohmann::json read_plan(const std::string& target_dir) {
  const std::string path = target_dir + "/" + kPlanFile;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxPlanFileBytes) return nullptr;  // the run's artifacts still hold it
  std::ifstream in(path);
  if (!in) return nullptr;
  auto plan = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!plan.is_object()) return nullptr;
  // Kept with the run and shown in every view of it: the first names of each list and
  // how many there are (docs/sqlmesh.md, Plans).
  nlohmann::json summary = nlohmann::json::object();
  nlohmann::json counts = nlohmann::json::object();
  for (const char* key : {"environment", "applied"}) {
    if (const auto it = plan.find(key); it != plan.end() && (it->is_string() || it->is_boolean())) summary[key] = *it;
  }
  if (summary.contains("environment") && summary["environment"].get_ref<const std::string&>().size() > 256) {
    summary.erase("environment");
  }
  for (const char* key : kPlanLists) {
    const auto it = plan.find(key);
    nlohmann::json kept = nlohmann::json::array();
    const bool listed = it != plan.end() && it->is_array();
    if (listed) {
      for (const auto& item : *it) {
        if (kept.size() == kMaxPlanNames) break;
        if (item.dump().size() <= 1024) kept.push_back(item);
      }
    }
    summary[key] = std::move(kept);
    counts[key] = listed ? it->size() : 0;
  }
  summary["counts"] = std::move(counts);
  return summary;
}

}  // namespace dagctl::daemon::runner::sqlmesh
