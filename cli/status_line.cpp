#include "cli/status_line.hpp"

#include <fmt/format.h>

#include <cmath>

#include "cli/text_width.hpp"
#include "common/time.hpp"

namespace dagctl::cli {

namespace {

constexpr std::string_view kSep = " · ";

std::string string_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int int_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int>() : 0;
}

std::optional<double> seconds_between(const std::string& from, const std::string& to) {
  const auto a = common::parse_rfc3339(from);
  const auto b = common::parse_rfc3339(to);
  if (!a || !b) return std::nullopt;
  return std::max(0.0, static_cast<double>(common::to_millis(*b) - common::to_millis(*a)) / 1000.0);
}

std::string phase_text(const StatusView& v) {
  if (v.phase == "queued") {
    if (!v.waiting_for.empty()) return "queued, waiting for " + v.waiting_for;
    if (!v.queued_behind.empty()) return "queued behind run " + v.queued_behind;
    return "queued";
  }
  if (v.phase == "starting") return v.sqlmesh ? "starting sqlmesh" : "starting dbt";
  if (v.phase == "parsing") return v.sqlmesh ? "sqlmesh is loading the project" : "dbt is parsing the project";
  if (v.phase == "running") return v.total > 0 ? fmt::format("running {}/{}", v.done, v.total) : "running";
  if (v.phase == "finishing") return v.total > 0 ? fmt::format("finishing {}/{}", v.done, v.total) : "finishing";
  return v.phase;
}

std::string node_text(const RunningNode& node) { return node.name + " " + short_duration(node.elapsed_seconds); }

// The nodes part with the first `shown` nodes and "+N more" for the rest.
std::string nodes_text(const std::vector<RunningNode>& nodes, size_t shown) {
  std::string out;
  for (size_t i = 0; i < shown && i < nodes.size(); ++i) out += (i ? ", " : "") + node_text(nodes[i]);
  if (shown < nodes.size()) out += fmt::format(" +{} more", nodes.size() - shown);
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += kSep;
    out += p;
  }
  return out;
}

}  // namespace

std::string short_duration(double seconds) {
  const long s = std::max(0L, static_cast<long>(std::floor(seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

StatusView status_view_from_run(const nlohmann::json& run, double seconds_since_poll, const std::string& now_rfc3339) {
  StatusView v;
  const std::string status = string_field(run, "status");
  const nlohmann::json progress = run.is_object() && run.contains("progress") ? run["progress"] : nlohmann::json();
  v.phase = string_field(progress, "phase");
  v.sqlmesh = string_field(run, "command").rfind("sqlmesh", 0) == 0;
  if (v.phase.empty() && (status == "queued" || status == "running")) v.phase = status;
  v.done = int_field(progress, "done");
  v.total = int_field(progress, "total");
  v.waiting_for = string_field(progress, "waiting_for");
  v.queued_behind = string_field(progress, "queued_behind");
  if (progress.is_object() && progress.contains("running") && progress["running"].is_array()) {
    for (const auto& node : progress["running"]) {
      std::string name = string_field(node, "name");
      if (name.empty()) name = string_field(node, "unique_id");
      if (name.empty()) continue;
      const double elapsed = node.is_object() && node.value("elapsed_seconds", nlohmann::json()).is_number()
                                 ? node["elapsed_seconds"].get<double>()
                                 : 0.0;
      v.running.push_back({name, elapsed + seconds_since_poll});
    }
  }
  // The run's age: since it was triggered, so a queued wait counts too.
  if (auto since = seconds_between(string_field(run, "created_at"), now_rfc3339)) {
    v.elapsed_seconds = since;
  } else if (run.is_object() && run.value("duration_seconds", nlohmann::json()).is_number()) {
    v.elapsed_seconds = run["duration_seconds"].get<double>() + seconds_since_poll;
  }
  return v;
}

std::string render_status_line(const StatusView& view, int columns) {
  const int room = columns - 1;
  if (room <= 0) return {};
  const std::string head = phase_text(view);
  const std::string tail = view.elapsed_seconds ? short_duration(*view.elapsed_seconds) : std::string();
  const auto fits = [room](const std::string& line) { return display_width(line) <= room; };
  const auto& nodes = view.running;
  // Every node, then fewer nodes and "+N more", then one node with a shortened name.
  for (size_t shown = nodes.size(); shown >= 1; --shown) {
    const std::string line = join({head, nodes_text(nodes, shown), tail});
    if (fits(line)) return line;
  }
  if (!nodes.empty()) {
    const std::string rest = " " + short_duration(nodes[0].elapsed_seconds) +
                             (nodes.size() > 1 ? fmt::format(" +{} more", nodes.size() - 1) : "");
    const int name_room = room - (display_width(join({head, "x" + rest, tail})) - 1);
    if (name_room >= 4) {
      const std::string line = join({head, fit_to_width(nodes[0].name, name_room) + rest, tail});
      if (fits(line)) return line;
    }
  }
  if (const std::string line = join({head, tail}); fits(line)) return line;
  // The phase alone is too wide (a long "waiting for"): shorten it, keep the time.
  const int tail_width = tail.empty() ? 0 : display_width(tail) + 3;
  if (room - tail_width >= 12) return join({fit_to_width(head, room - tail_width), tail});
  return fit_to_width(head, room);
}

}  // namespace dagctl::cli
