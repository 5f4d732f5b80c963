// What `dagctl status` and `dagctl doctor` say of warm dbt workers (docs/cli.md,
// docs/runs.md#warm-workers), from GET /api/v1/daemon's "warm". Pure functions of the
// daemon's JSON, so that the lines are tested at any width.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagctl::cli {

// 300 -> "5m", 90 -> "90s", 7200 -> "2h", 86400 -> "1d": the largest unit that says it
// exactly, as --warm-idle takes it.
std::string idle_text(std::int64_t seconds);

// `status`'s lines: "warm:     on (idle exit after 5m)" or "warm:     off (--warm off)",
// then one line per worker ("  shop  ready  pid 12345  83 MiB  dbt 1.11.16  12 runs", or
// "  fake  cold  why"), each cut to `width` (nullopt: nothing cut). None when the daemon
// says nothing of warm workers (an older dagctld).
std::vector<std::string> warm_status_lines(const nlohmann::json& daemon, std::optional<size_t> width);

// `doctor`'s finding for one project (GET /api/v1/projects's item): warm (state, pid) or
// cold and why, or that its worker starts at its first run. `warn` for a worker that could
// not start. nullopt when the daemon says nothing of warm workers, and for a SQLMesh
// project (they run dbt only).
struct WarmFinding {
  bool warn = false;
  std::string detail;
};
std::optional<WarmFinding> warm_finding(const nlohmann::json& daemon, const nlohmann::json& project);

}  // namespace dagctl::cli
