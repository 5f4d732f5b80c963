// The watch mode's one status line (docs/cli.md#watch-mode): what a run is doing now, as
// the daemon's `progress` says (docs/api.md), fitted to the terminal. Pure: the caller
// gives the run's JSON and the time, tests give any width.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dagctl::cli {

struct RunningNode {
  std::string name;
  double elapsed_seconds = 0;
};

struct StatusView {
  // queued, starting, parsing, running, finishing; "" when neither the daemon nor the
  // run's status says (then only the elapsed time shows).
  std::string phase;
  int done = 0;
  int total = 0;  // 0 until dbt announced its nodes
  std::vector<RunningNode> running;  // oldest first
  std::string waiting_for;   // queued: what the run waits for, in words
  std::string queued_behind; // queued: the run holding the project
  std::optional<double> elapsed_seconds;  // the whole run's (queued time included)
  bool sqlmesh = false;  // the run's command is SQLMesh's (docs/sqlmesh.md)
};

// The view of `run` (a GET /api/v1/runs/{id} body) `seconds_since_poll` after it was read;
// `now` dates a queued run's wait. Fields the daemon does not send are left empty.
StatusView status_view_from_run(const nlohmann::json& run, double seconds_since_poll, const std::string& now_rfc3339);

// "12s", "1m05s", "2h03m".
std::string short_duration(double seconds);

// One line of at most `columns` - 1 display columns (the last column stays free so the
// terminal never wraps it), e.g. "running 3/12 · stg_orders 12s, fct_x 3s · 45s".
std::string render_status_line(const StatusView& view, int columns);

}  // namespace dagctl::cli
