// Run statuses (docs/runs.md) and the CLI exit code each one maps to (docs/cli.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dagctl::common {

enum class RunStatus { queued, running, success, partial, failed, error, cancelled };

std::string_view to_string(RunStatus status);
std::optional<RunStatus> parse_run_status(std::string_view text);
bool is_terminal(RunStatus status);
// 0 success; 1 failed or partial (dbt's "finished with failures"); 2 error or cancelled.
int exit_code_for(RunStatus status);

}  // namespace dagctl::common
