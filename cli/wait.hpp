// Following a run to its end: live progress from dbt's output, then a summary. Used by
// `trigger --wait` and `retry --wait`.
#pragma once

#include <string>

#include "cli/context.hpp"

namespace dagctl::cli {

struct WaitOptions {
  bool quiet = false;  // nothing on success, the summary on stderr otherwise (for cron)
};

// Returns the exit code for the run's terminal status (docs/cli.md).
int wait_for_run(const Context& ctx, const std::string& run_id, const WaitOptions& options);

// Prints the text summary of a finished run to `out` (status, duration, counts, failures).
void print_run_summary(const Client& client, const nlohmann::json& run, std::FILE* out);

}  // namespace dagctl::cli
