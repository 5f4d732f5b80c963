#include "daemon/runner/outcome.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <vector>

namespace dagctl::daemon::runner {

namespace {

// dbt's "partial success" (a microbatch model with some failed batches) is both: some of
// its work landed and some did not.
const std::set<std::string> kSucceeded = {"success", "pass", "warn", "partial success"};
const std::set<std::string> kFailed = {"error", "fail", "runtime error", "partial success"};

// A string member, or `fallback` when it is missing or of another type: run_results.json is
// dbt's file, and a surprise in it must not turn a run's status into a crash.
std::string string_member(const nlohmann::json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

nlohmann::json results_array(const nlohmann::json& run_results) {
  if (!run_results.is_object()) return nlohmann::json::array();
  const auto it = run_results.find("results");
  return it != run_results.end() && it->is_array() ? *it : nlohmann::json::array();
}

std::string node_name(const nlohmann::json& result) { return string_member(result, "unique_id", "a node"); }

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence: the text ends up in
// JSON bodies.
std::string truncate_utf8(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

// Runs of spaces, tabs and line breaks become one space; no space at either end.
std::string collapse_whitespace(const std::string& text) {
  std::string flat;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
      space = !flat.empty();
      continue;
    }
    if (space) flat += ' ';
    space = false;
    flat += c;
  }
  return flat;
}

// dbt's message for a failed node, on one line. Its first line says where ("Runtime Error in
// model orders (models/orders.sql)") and the next ones why ("Catalog Error: Table with name x
// does not exist!"), so the first few non-blank lines are kept; the SQL excerpt dbt shows
// from "LINE n:" on is left out.
std::string failure_text(const std::string& message) {
  constexpr size_t kMaxLines = 3;
  constexpr size_t kMaxBytes = 300;
  std::vector<std::string> lines;
  for (size_t start = 0; lines.size() < kMaxLines;) {
    const size_t nl = message.find('\n', start);
    const std::string line =
        collapse_whitespace(message.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (line.rfind("LINE ", 0) == 0) break;
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? "" : i == 1 ? ": " : " ") + lines[i];
  return truncate_utf8(out, kMaxBytes);
}

// "2 nodes failed: model.shop.orders (Runtime Error in model orders (models/orders.sql):
// Division by zero), test.shop.x (Got 3 results)".
std::string describe_failures(const nlohmann::json& run_results) {
  std::vector<std::string> parts;
  for (const auto& r : results_array(run_results)) {
    if (!kFailed.count(string_member(r, "status"))) continue;
    const std::string message = failure_text(string_member(r, "message"));
    parts.push_back(message.empty() ? node_name(r) : node_name(r) + " (" + message + ")");
  }
  if (parts.empty()) return "dbt finished with failures";
  std::string out = fmt::format("{} node{} failed: ", parts.size(), parts.size() == 1 ? "" : "s");
  for (size_t i = 0; i < parts.size() && i < 5; ++i) out += (i ? ", " : "") + parts[i];
  if (parts.size() > 5) out += fmt::format(" and {} more", parts.size() - 5);
  return out;
}

// run_results.json of a node-selecting command with no results: dbt found nothing to run.
// (Commands that select nothing by nature write no results either, hence the list.)
bool selected_nothing(const nlohmann::json& run_results) {
  static const std::set<std::string> kSelecting = {"build", "run", "test", "seed", "snapshot",
                                                   "compile", "list", "ls", "freshness", "clone"};
  const auto args = run_results.is_object() ? run_results.value("args", nlohmann::json::object())
                                            : nlohmann::json::object();
  return kSelecting.count(string_member(args, "which")) > 0 && results_array(run_results).empty();
}

// A newcomer's first `sqlmesh run` finds no environment: SQLMesh's own words do not say
// that a plan creates it (docs/sqlmesh.md, Commands).
std::string sqlmesh_hint(std::string_view message) {
  constexpr std::string_view kStart = "Environment '";
  constexpr std::string_view kEnd = "' was not found.";
  if (message.size() <= kStart.size() + kEnd.size() || !message.starts_with(kStart) || !message.ends_with(kEnd)) {
    return {};
  }
  const auto env = message.substr(kStart.size(), message.size() - kStart.size() - kEnd.size());
  const bool plain = env.size() <= 64 && std::all_of(env.begin(), env.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  const std::string word = !plain || env == "prod" ? std::string() : fmt::format(" {}", env);
  return fmt::format(" (a plan creates it: run a job whose command is 'sqlmesh plan{} --auto-apply --no-prompts' first)",
                     word);
}

}  // namespace

nlohmann::json count_results(const nlohmann::json& run_results) {
  nlohmann::json counts = nlohmann::json::object();
  if (!run_results.is_object()) return counts;
  for (const auto& r : results_array(run_results)) {
    const auto status = string_member(r, "status");
    if (status.empty()) continue;
    counts[status] = counts.value(status, 0) + 1;
  }
  return counts;
}

DbtLogFacts read_dbt_log_facts(const std::string& json_log_path) {
  std::ifstream in(json_log_path);
  DbtLogFacts facts;
  for (std::string line; std::getline(in, line);) {
    // dbt 1.11: "NothingToDo" (Q035) after run/build/test/...; "NoNodesSelected" (Q038)
    // after ls. A cheap find first: the log holds thousands of other events.
    if (line.find("NothingToDo") != std::string::npos || line.find("NoNodesSelected") != std::string::npos) {
      const auto event = nlohmann::json::parse(line, nullptr, false);
      const auto name = event.is_object() ? string_member(event.value("info", nlohmann::json::object()), "name") : "";
      if (name == "NothingToDo" || name == "NoNodesSelected") facts.nothing_to_do = true;
      continue;
    }
    if (line.find("MainEncounteredError") == std::string::npos) continue;
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_object() || !event.contains("data") || !event["data"].is_object()) continue;
    const auto& data = event["data"];
    if (data.contains("exc") && data["exc"].is_string()) facts.fatal_error = data["exc"].get<std::string>();
  }
  if (facts.fatal_error) {
    // dbt's text spans lines with indentation; one line reads better in a status.
    std::string flat = collapse_whitespace(*facts.fatal_error);
    if (flat.size() > 500) flat = flat.substr(0, 500) + "...";
    facts.fatal_error = flat;
  }
  return facts;
}

Outcome classify(const ExitStatus& exit, StopReason reason, const DbtReport& report,
                 int timeout_seconds, std::string_view tool) {
  const auto& run_results = report.run_results;
  Outcome out;
  out.exit_code = exit.exit_code;
  if (run_results) out.results = count_results(*run_results);

  const bool clean_exit = exit.exit_code && *exit.exit_code == 0;
  if (clean_exit) {
    // dbt finished all its work before a stop took effect: the work is done, say so.
    out.status = common::RunStatus::success;
    out.nothing_selected = report.nothing_to_do || (run_results && selected_nothing(*run_results));
    return out;
  }
  switch (reason) {
    case StopReason::cancelled:
      out.status = common::RunStatus::cancelled;
      out.error_message = "cancelled by request";
      return out;
    case StopReason::timed_out:
      out.status = common::RunStatus::error;
      out.error_message = fmt::format("timed out after {} s (the job's timeout_seconds)", timeout_seconds);
      return out;
    case StopReason::daemon_stopped:
      out.status = common::RunStatus::error;
      out.error_message = "daemon stopped";
      return out;
    case StopReason::none:
      break;
  }
  if (exit.signal) {
    out.status = common::RunStatus::error;
    out.error_message = fmt::format("{} was killed by signal {} ({})", tool, *exit.signal, ::strsignal(*exit.signal));
    return out;
  }
  if (exit.exit_code && *exit.exit_code == 1) {
    int succeeded = 0;
    int failed = 0;
    if (run_results) {
      for (const auto& r : results_array(*run_results)) {
        const std::string status = string_member(r, "status");
        succeeded += kSucceeded.count(status) ? 1 : 0;
        failed += kFailed.count(status) ? 1 : 0;
      }
    }
    if (tool == "dbt" || failed > 0) {
      out.status = (succeeded > 0 && failed > 0) ? common::RunStatus::partial : common::RunStatus::failed;
      out.error_message = run_results ? describe_failures(*run_results)
                                      : std::string("dbt exited 1 without writing run_results.json");
      return out;
    }
  }
  out.status = common::RunStatus::error;
  out.error_message =
      report.fatal_error
          ? fmt::format("{} exited with code {}: {}{}", tool, exit.exit_code.value_or(-1), *report.fatal_error,
                        tool == "sqlmesh" ? sqlmesh_hint(*report.fatal_error) : std::string())
          : fmt::format("{} exited with code {} (it could not finish: see the run's log, dagctl logs RUN)", tool,
                        exit.exit_code.value_or(-1));
  return out;
}

}  // namespace dagctl::daemon::runner
