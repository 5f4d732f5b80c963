// Following a run to its end (docs/cli.md#watch-mode): live progress from dbt's output and
// the run's `progress`, Ctrl-C handling, then a summary and the exit code. Used by
// `trigger --wait`, `retry --wait`, `watch` and `logs -f`.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "cli/context.hpp"

namespace dagctl::cli {

// What Ctrl-C does while the CLI follows a run (docs/cli.md#ctrl-c).
enum class OnInterrupt {
  cancel,          // the first cancels the run and keeps following, a second stops waiting
  detach,          // stop waiting; the run goes on (trigger/retry --detach)
  stop_following,  // stop following a run this command did not start (watch, logs -f)
};

// The exit code of a second Ctrl-C, or of a Ctrl-C that stops following.
inline constexpr int kExitInterrupted = 130;

struct WaitOptions {
  bool quiet = false;        // nothing on success, the summary on stderr otherwise (for cron)
  bool allow_empty = false;  // a run that selected no node exits 0, not 1
  OnInterrupt on_interrupt = OnInterrupt::cancel;
};

// Follows the run and returns the exit code for how it ended (docs/cli.md).
int wait_for_run(const Context& ctx, const std::string& run_id, const WaitOptions& options);

struct FollowOptions {
  bool whole_log = false;  // print every line of dbt's output (logs -f), not only node results
  bool print = true;
  OnInterrupt on_interrupt = OnInterrupt::stop_following;
  // After the stream ended early (the daemon stopped), poll until the run's status is final;
  // `logs -f` does not: it prints what the daemon streams, and ends with the stream.
  bool until_ended = true;
  // When set, dbt's output goes here instead of the screen (-o json logs -f).
  std::function<void(std::string_view)> collect;
};

// Follows the run to its end; the ended run, or nullopt when Ctrl-C stopped the following
// (the message is printed; exit with kExitInterrupted).
std::optional<nlohmann::json> follow_run(const Context& ctx, const std::string& run_id, const FollowOptions& options);

}  // namespace dagctl::cli
