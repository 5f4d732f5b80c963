#include "daemon/runner/node_records.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <set>

#include "daemon/runner/progress.hpp"

namespace dagctl::daemon::runner {

namespace {

using nlohmann::json;

const json* object_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

std::optional<std::string> text_at(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<common::TimePoint> time_at(const json& object, const char* key) {
  const auto text = text_at(object, key);
  return text ? parse_dbt_time(*text) : std::nullopt;
}

std::optional<double> number_at(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<std::int64_t> whole_at(const json& object, const char* key) {
  const auto n = number_at(object, key);
  if (!n || !std::isfinite(*n) || std::abs(*n) > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(*n));
}

// Capped where it is stored (NodeStore::upsert).
std::optional<std::string> message_of(const json& object, const char* key) { return text_at(object, key); }

// The adapter's answer as dbt gave it, and the rows it says it affected.
void set_adapter_response(store::NodeRecord& r, const json& run_result) {
  const json* response = object_at(run_result, "adapter_response");
  if (!response || response->empty()) return;
  r.adapter_response = response->dump(-1, ' ', false, json::error_handler_t::replace);
  r.rows_affected = whole_at(*response, "rows_affected");
}

bool is_test(const std::string& resource_type) { return resource_type == "test" || resource_type == "unit_test"; }

// "model.shop.stg_books" -> model, stg_books; "test.shop.not_null_x.cb92fc53bd" -> test, not_null_x.
std::pair<std::string, std::string> type_and_name(const std::string& unique_id) {
  const auto first = unique_id.find('.');
  if (first == std::string::npos) return {"", unique_id};
  const auto second = unique_id.find('.', first + 1);
  if (second == std::string::npos) return {unique_id.substr(0, first), unique_id.substr(first + 1)};
  const auto third = unique_id.find('.', second + 1);
  return {unique_id.substr(0, first), unique_id.substr(second + 1, third == std::string::npos ? std::string::npos
                                                                                              : third - second - 1)};
}

// A node's id, name, type and thread are short in dbt and SQLMesh alike; a longer one is not
// theirs (SQLMesh's log is a file the project's Python code can write to: docs/sqlmesh.md),
// and its record is dropped rather than stored.
constexpr size_t kMaxNodeField = 1024;

bool plausible(const store::NodeRecord& r) {
  const auto fits = [](const std::string& text) { return text.size() <= kMaxNodeField; };
  return !r.unique_id.empty() && fits(r.unique_id) && fits(r.name) && fits(r.resource_type) &&
         (!r.thread || fits(*r.thread)) && (!r.adapter_response || r.adapter_response->size() <= 64 * kMaxNodeField);
}

bool finished(const std::string& status) { return status != "running" && status != "interrupted"; }

}  // namespace

std::optional<store::NodeRecord> node_record_from_log_line(std::string_view line) {
  // Most lines are SQL and connection chatter: look before parsing.
  const bool start = line.find(R"("NodeStart")") != std::string_view::npos;
  if (!start && line.find(R"("NodeFinished")") == std::string_view::npos) return std::nullopt;
  const auto event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return std::nullopt;
  const json* info = object_at(event, "info");
  const json* data = object_at(event, "data");
  const json* node = data ? object_at(*data, "node_info") : nullptr;
  if (!info || !node) return std::nullopt;
  const auto name = text_at(*info, "name");
  if (!name || (*name != "NodeStart" && *name != "NodeFinished")) return std::nullopt;
  store::NodeRecord r;
  r.unique_id = text_at(*node, "unique_id").value_or("");
  if (r.unique_id.empty()) return std::nullopt;
  r.name = text_at(*node, "node_name").value_or("");
  r.resource_type = text_at(*node, "resource_type").value_or("");
  r.started_at = time_at(*node, "node_started_at");
  if (*name == "NodeStart") {
    r.status = "running";
    if (!r.started_at) r.started_at = time_at(*info, "ts");
    r.thread = text_at(*info, "thread");
    return plausible(r) ? std::optional(std::move(r)) : std::nullopt;
  }
  const json* result = object_at(*data, "run_result");
  const json empty = json::object();
  if (!result) result = &empty;
  r.status = text_at(*result, "status").value_or(text_at(*node, "node_status").value_or("success"));
  r.finished_at = time_at(*node, "node_finished_at");
  if (!r.finished_at) r.finished_at = time_at(*info, "ts");
  r.execution_time = number_at(*result, "execution_time");
  r.thread = text_at(*result, "thread");
  if (!r.thread) r.thread = text_at(*info, "thread");
  set_adapter_response(r, *result);
  r.message = message_of(*result, "message");
  if (is_test(r.resource_type)) r.failures = whole_at(*result, "num_failures");
  if (!plausible(r)) return std::nullopt;
  return r;
}

std::vector<store::NodeRecord> node_records_from_run_results(const json& run_results) {
  std::vector<store::NodeRecord> out;
  const auto results = run_results.find("results");
  if (results == run_results.end() || !results->is_array()) return out;
  for (const auto& result : *results) {
    if (!result.is_object()) continue;
    store::NodeRecord r;
    r.unique_id = text_at(result, "unique_id").value_or("");
    const auto status = text_at(result, "status");
    if (r.unique_id.empty() || !status) continue;
    std::tie(r.resource_type, r.name) = type_and_name(r.unique_id);
    // dbt's results name nodes by unique_id only; SQLMesh's plugin also gives name and type
    // (a SQLMesh model name holds dots: docs/sqlmesh.md).
    r.name = text_at(result, "name").value_or(r.name);
    r.resource_type = text_at(result, "resource_type").value_or(r.resource_type);
    r.status = *status;
    r.execution_time = number_at(result, "execution_time");
    r.thread = text_at(result, "thread_id");
    set_adapter_response(r, result);
    r.message = message_of(result, "message");
    r.failures = whole_at(result, "failures");
    if (const auto timing = result.find("timing"); timing != result.end() && timing->is_array()) {
      for (const auto& step : *timing) {
        if (!step.is_object()) continue;
        const auto from = time_at(step, "started_at");
        const auto to = time_at(step, "completed_at");
        if (from && (!r.started_at || *from < *r.started_at)) r.started_at = from;
        if (to && (!r.finished_at || *to > *r.finished_at)) r.finished_at = to;
      }
    }
    if (plausible(r)) out.push_back(std::move(r));
  }
  return out;
}

void merge_node_record(store::NodeRecord& older, const store::NodeRecord& newer) {
  if (newer.status == "running" && older.status != "running") return;
  const auto keep = [](auto& field, const auto& value) {
    if (value) field = value;
  };
  if (!newer.name.empty()) older.name = newer.name;
  if (!newer.resource_type.empty()) older.resource_type = newer.resource_type;
  older.status = newer.status;
  keep(older.started_at, newer.started_at);
  keep(older.finished_at, newer.finished_at);
  keep(older.execution_time, newer.execution_time);
  keep(older.thread, newer.thread);
  keep(older.rows_affected, newer.rows_affected);
  keep(older.adapter_response, newer.adapter_response);
  keep(older.message, newer.message);
  keep(older.failures, newer.failures);
}

bool NodeRecorder::admit(const std::string& unique_id) {
  if (seen_.count(unique_id)) return true;
  if (seen_.size() >= kMaxNodesPerRun) {
    ++dropped_;
    return false;
  }
  seen_.insert(unique_id);
  return true;
}

void NodeRecorder::feed_line(std::string_view line) {
  auto record = node_record_from_log_line(line);
  if (!record || !admit(record->unique_id)) return;
  if (invocation_id_.empty()) {
    const auto event = json::parse(line, nullptr, false);
    if (const json* info = event.is_object() ? object_at(event, "info") : nullptr) {
      invocation_id_ = text_at(*info, "invocation_id").value_or("");
    }
  }
  const auto [it, added] = index_.try_emplace(record->unique_id, pending_.size());
  if (added) {
    pending_.push_back(std::move(*record));
  } else {
    merge_node_record(pending_[it->second], *record);
  }
}

void NodeRecorder::clear() {
  pending_.clear();
  index_.clear();
}

namespace {

// What `dbt retry` carries over from the failed command (dbt/task/retry.py: the previous
// args, minus the paths dagctl sets). Selection flags are not needed: retry runs the ids.
struct RetryArgs {
  json args = json::object();
  bool selective = false;
};

RetryArgs retry_args(const std::vector<std::string>& argv) {
  RetryArgs out;
  size_t i = 1;
  std::string which = argv.size() > 1 ? argv[1] : "";
  if (which == "docs" && argv.size() > 2) {
    which = argv[2];
    i = 2;
  }
  out.args["which"] = which;
  static const std::map<std::string, std::string> kValued = {
      {"--vars", "vars"}, {"--target", "target"}, {"-t", "target"}, {"--threads", "threads"}, {"--profile", "profile"}};
  static const std::map<std::string, std::string> kSwitches = {
      {"--full-refresh", "full_refresh"}, {"-f", "full_refresh"}, {"--fail-fast", "fail_fast"},
      {"-x", "fail_fast"}, {"--empty", "empty"}};
  static const std::set<std::string> kSelecting = {"--select",    "-s",       "--models",        "-m",
                                                   "--exclude",   "--selector", "--resource-type", "--resource-types",
                                                   "--exclude-resource-type", "--exclude-resource-types", "--inline"};
  for (++i; i < argv.size(); ++i) {
    std::string word = argv[i];
    std::optional<std::string> value;
    if (const auto eq = word.find('='); word.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = word.substr(eq + 1);
      word.resize(eq);
    }
    if (kSelecting.count(word)) {
      out.selective = true;
    } else if (const auto v = kValued.find(word); v != kValued.end()) {
      if (!value && i + 1 < argv.size()) value = argv[++i];
      if (value) out.args[v->second] = *value;
    } else if (const auto s = kSwitches.find(word); s != kSwitches.end()) {
      out.args[s->second] = true;
    }
  }
  return out;
}

// The resource types a command runs (dbt's defaults for it), for nodes that never started.
std::set<std::string> resource_types_of(const std::string& which) {
  if (which == "build") return {"model", "seed", "snapshot", "test", "unit_test"};
  if (which == "run") return {"model"};
  if (which == "test") return {"test", "unit_test"};
  if (which == "seed") return {"seed"};
  if (which == "snapshot") return {"snapshot"};
  return {};
}

json result_json(const std::string& unique_id, const std::string& status, const store::NodeRecord* node) {
  json adapter_response = json::object();
  if (node && node->adapter_response) {
    adapter_response = json::parse(*node->adapter_response, nullptr, false);
    if (!adapter_response.is_object()) adapter_response = json::object();
  }
  return {{"status", status},
          {"timing", json::array()},
          {"thread_id", node && node->thread ? *node->thread : std::string()},
          {"execution_time", node && node->execution_time ? *node->execution_time : 0.0},
          {"adapter_response", adapter_response},
          {"message", node && node->message ? json(*node->message) : json(nullptr)},
          {"failures", node && node->failures ? json(*node->failures) : json(nullptr)},
          {"unique_id", unique_id},
          {"compiled", nullptr},
          {"compiled_code", nullptr},
          {"relation_name", nullptr},
          {"batch_results", nullptr}};
}

}  // namespace

json synthesize_run_results(const std::vector<std::string>& argv, const std::vector<store::NodeRecord>& nodes,
                            const std::optional<json>& manifest, common::TimePoint now) {
  const RetryArgs retry = retry_args(argv);
  json results = json::array();
  std::set<std::string> seen;
  std::optional<common::TimePoint> first_start;
  for (const auto& n : nodes) {
    seen.insert(n.unique_id);
    results.push_back(result_json(n.unique_id, finished(n.status) ? n.status : "error", &n));
    if (n.started_at && (!first_start || *n.started_at < *first_start)) first_start = n.started_at;
  }
  if (!retry.selective && manifest && manifest->is_object()) {
    const auto types = resource_types_of(retry.args["which"].get<std::string>());
    for (const char* group : {"nodes", "unit_tests"}) {
      const json* members = object_at(*manifest, group);
      if (!members) continue;
      for (const auto& [unique_id, node] : members->items()) {
        if (seen.count(unique_id) || !node.is_object()) continue;
        if (!types.count(text_at(node, "resource_type").value_or(""))) continue;
        const json* config = object_at(node, "config");
        if (config && text_at(*config, "materialized") == "ephemeral") continue;  // never run on its own
        if (config && config->value("enabled", true) == false) continue;
        results.push_back(result_json(unique_id, "skipped", nullptr));
      }
    }
  }
  std::string dbt_version = "1.11.0";
  std::string invocation_id = "00000000-0000-0000-0000-000000000000";
  if (manifest && manifest->is_object()) {
    if (const json* metadata = object_at(*manifest, "metadata")) {
      dbt_version = text_at(*metadata, "dbt_version").value_or(dbt_version);
      invocation_id = text_at(*metadata, "invocation_id").value_or(invocation_id);
    }
  }
  return {{"metadata",
           {{"dbt_schema_version", "https://schemas.getdbt.com/dbt/run-results/v6.json"},
            {"dbt_version", dbt_version},
            {"generated_at", common::to_rfc3339(now)},
            {"invocation_id", invocation_id},
            {"invocation_started_at", common::to_rfc3339(first_start.value_or(now))},
            {"env", json::object()}}},
          {"results", results},
          {"elapsed_time", 0.0},
          {"args", retry.args}};
}

}  // namespace dagctl::daemon::runner
