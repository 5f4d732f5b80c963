#include "common/run_status.hpp"

#include <array>
#include <utility>

namespace dagctl::common {

namespace {
constexpr std::array<std::pair<RunStatus, std::string_view>, 7> kNames{{
    {RunStatus::queued, "queued"},
    {RunStatus::running, "running"},
    {RunStatus::success, "success"},
    {RunStatus::partial, "partial"},
    {RunStatus::failed, "failed"},
    {RunStatus::error, "error"},
    {RunStatus::cancelled, "cancelled"},
}};
}  // namespace

std::string_view to_string(RunStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(RunStatus status) {
  return status != RunStatus::queued && status != RunStatus::running;
}

int exit_code_for(RunStatus status) {
  switch (status) {
    case RunStatus::success: return 0;
    case RunStatus::partial:
    case RunStatus::failed: return 1;
    default: return 2;
  }
}

}  // namespace dagctl::common
