#include "cli/warm_lines.hpp"

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/text_width.hpp"

namespace dagctl::cli {

namespace {

using nlohmann::json;

// A project name wider than this is cut, so the states and details stay aligned.
constexpr int kMaxNameColumns = 24;

std::string string_of(const json& object, std::string_view key) {
  const json& value = field(object, key);
  return value.is_string() ? value.get<std::string>() : "";
}

std::int64_t number_of(const json& object, std::string_view key) {
  const json& value = field(object, key);
  return value.is_number_integer() ? value.get<std::int64_t>() : 0;
}

// "pid 12345", "83 MiB", "dbt 1.11.16", "12 runs": what is known of a live worker.
std::vector<std::string> worker_facts(const json& w) {
  std::vector<std::string> out;
  if (const auto pid = number_of(w, "pid"); pid > 0) out.push_back(fmt::format("pid {}", pid));
  if (const auto rss = number_of(w, "rss_bytes"); rss > 0) {
    out.push_back(fmt::format("{} MiB", (rss + 512 * 1024) / (1024 * 1024)));
  }
  if (const auto version = string_of(w, "dbt_version"); !version.empty()) out.push_back("dbt " + version);
  if (const auto runs = number_of(w, "runs"); number_of(w, "pid") > 0 || runs > 0) {
    out.push_back(fmt::format("{} run{}", runs, runs == 1 ? "" : "s"));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

const json* warm_of(const json& daemon) {
  const json& warm = field(daemon, "warm");
  return warm.is_object() ? &warm : nullptr;
}

}  // namespace

std::string idle_text(std::int64_t seconds) {
  if (seconds <= 0) return fmt::format("{}s", seconds);
  for (const auto& [unit, name] : {std::pair{86400, "d"}, std::pair{3600, "h"}, std::pair{60, "m"}}) {
    if (seconds % unit == 0) return fmt::format("{}{}", seconds / unit, name);
  }
  return fmt::format("{}s", seconds);
}

std::vector<std::string> warm_status_lines(const json& daemon, std::optional<size_t> width) {
  const json* warm = warm_of(daemon);
  if (!warm) return {};
  const bool on = string_of(*warm, "mode") != "off";
  std::vector<std::string> lines = {
      on ? fmt::format("warm:     on (idle exit after {})", idle_text(number_of(*warm, "idle_seconds")))
         : std::string("warm:     off (--warm off)")};
  std::vector<std::vector<std::string>> rows;
  const json& workers = field(*warm, "workers");
  for (const auto& w : workers.is_array() ? workers : json::array()) {
    const std::string state = string_of(w, "state");
    const std::string reason = string_of(w, "reason");
    std::string detail = state == "cold" ? reason : join(worker_facts(w), "  ");
    if (state != "cold" && !reason.empty()) detail += (detail.empty() ? "" : "  ") + reason;
    rows.push_back({fit_to_width(string_of(w, "project"), kMaxNameColumns), state.empty() ? "?" : state, detail});
  }
  for (const auto& row : fit_table(rows, {}, std::nullopt)) {
    std::string line = "  " + row;
    while (!line.empty() && line.back() == ' ') line.pop_back();  // a cold worker without a reason
    lines.push_back(width ? fit_to_width(line, static_cast<int>(*width)) : line);
  }
  if (width) lines.front() = fit_to_width(lines.front(), static_cast<int>(*width));
  return lines;
}

std::optional<WarmFinding> warm_finding(const json& daemon, const json& project) {
  const json* warm = warm_of(daemon);
  if (!warm || string_of(project, "type") == "sqlmesh") return std::nullopt;  // warm workers run dbt
  if (string_of(*warm, "mode") == "off") return WarmFinding{false, "cold: dagctld --warm off"};
  const std::string name = string_of(project, "name");
  if (field(project, "warm") == json(false)) {
    return WarmFinding{false, "cold: off for this project (dagctl project update " + name + " --warm on)"};
  }
  const std::string id = string_of(project, "id");
  const json& workers = field(*warm, "workers");
  for (const auto& w : workers.is_array() ? workers : json::array()) {
    if (string_of(w, "project_id") != id) continue;
    const std::string state = string_of(w, "state");
    if (state == "cold") {
      const std::string reason = string_of(w, "reason");
      return WarmFinding{true, "cold: " + (reason.empty() ? std::string("no reason given") : reason) +
                                   "; runs start a fresh dbt"};
    }
    const auto facts = worker_facts(w);
    return WarmFinding{false, "warm: " + (state.empty() ? std::string("?") : state) +
                                  (facts.empty() ? "" : ", " + join(facts, ", "))};
  }
  return WarmFinding{false, "no worker yet: starts at its first run"};
}

}  // namespace dagctl::cli
