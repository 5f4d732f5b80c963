// dbt's flags as dagctl options (docs/cli.md, "Triggering"): `trigger`, `job create|update`
// and `ls` take --select, --exclude, --selector, --vars, --target, --threads, --full-refresh
// and --defer-to-last-success, and append them to a dbt command. The daemon validates the
// result like any command (docs/commands.md); its refusal is reported under the flags typed.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dagctl::cli {

struct DbtFlags {
  std::vector<std::string> selects, excludes;
  std::string selector, vars, target;
  int threads = 0;
  bool full_refresh = false;
  bool defer_to_last_success = false;

  // Registers the options on `cmd`. `selection_only`: just --select/--exclude/--selector
  // (for `ls`, which previews a selection).
  void add_to(CLI::App* cmd, bool selection_only = false);
  // The options typed on `cmd`, as "--select/--vars", for error messages; "" for none.
  std::string typed(const CLI::App* cmd, bool with_command = false) const;
  // True when an option that changes the dbt command was typed (--defer-to-last-success
  // only with `defer_as_flag`, as in append_to).
  bool change_command(const CLI::App* cmd, bool defer_as_flag) const;
  // `argv` (a dbt command's words) with the typed options appended. --defer-to-last-success
  // appends "--defer" only when `defer_as_flag` (a job's command; a trigger sends
  // defer_to_last_success instead).
  std::vector<std::string> append_to(std::vector<std::string> argv, const CLI::App* cmd,
                                     bool defer_as_flag) const;
};

// Throws CliError when `value` is blank: `--select "$UNSET"` in a crontab must not quietly
// run the job's whole command.
void refuse_blank(const std::string& flag, const std::string& value, const std::string& example);

// The command the typed options describe: `command` when --command was typed, else the
// job's (from `job_command`, asked only when needed), with the options appended and its
// words re-quoted; nullopt when neither --command nor an option that changes it was typed.
std::optional<std::string> build_command(const CLI::App* cmd, const DbtFlags& flags, bool command_given,
                                         const std::string& command,
                                         const std::function<std::string()>& job_command, bool defer_as_flag);

// Calls `request`; when the daemon refuses with "<field>: ..." and `typed` is not empty,
// the error names the typed options instead ("--select/--vars: ...").
nlohmann::json naming_flags(const std::string& field, const std::string& typed,
                            const std::function<nlohmann::json()>& request);

}  // namespace dagctl::cli
