#include "cli/dbt_flags.hpp"

#include <algorithm>
#include <string_view>

#include "cli/client.hpp"
#include "common/dbt_command.hpp"

namespace dagctl::cli {

namespace {

bool given(const CLI::App* cmd, const char* name) {
  const auto* option = cmd->get_option_no_throw(name);
  return option != nullptr && option->count() > 0;
}

// The options that build a command, in the order they are appended.
constexpr const char* kCommandOptions[] = {"--select", "--exclude", "--selector", "--vars",
                                           "--target", "--threads", "--full-refresh"};

// The subcommand of a SQLMesh command: its first word after "sqlmesh" that is neither an
// option nor the value of --gateway/--config.
std::string sqlmesh_subcommand(const std::vector<std::string>& argv) {
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "--gateway" || argv[i] == "--config") {
      ++i;
    } else if (argv[i].rfind("-", 0) != 0) {
      return argv[i];
    }
  }
  return "";
}

// dagctl's --select on a SQLMesh command (docs/commands.md#sqlmesh): SQLMesh's own
// --select-model (--model for audit); SQLMesh has none of dbt's other flags.
void append_sqlmesh(std::vector<std::string>& argv, const CLI::App* cmd, const DbtFlags& flags, bool defer_as_flag) {
  for (const char* name : {"--exclude", "--selector", "--vars", "--target", "--threads", "--full-refresh",
                           "--defer-to-last-success"}) {
    // A trigger sends --defer-to-last-success as a field, which the daemon refuses for SQLMesh.
    if (given(cmd, name) && (defer_as_flag || std::string_view(name) != "--defer-to-last-success")) {
      throw CliError(std::string(name) + " is a dbt flag; a SQLMesh command takes --select (its --select-model), or "
                     "give the whole command with --command 'sqlmesh ...'");
    }
  }
  if (flags.selects.empty()) return;
  const std::string sub = sqlmesh_subcommand(argv);
  const char* flag = sub == "run" || sub == "plan" || sub == "test" ? "--select-model" : sub == "audit" ? "--model" : nullptr;
  if (!flag) {
    throw CliError("--select: 'sqlmesh " + sub + "' selects no models; --select goes with sqlmesh run, plan, test or audit");
  }
  for (const auto& s : flags.selects) {
    argv.push_back(flag);
    argv.push_back(s);
  }
}

}  // namespace

void refuse_blank(const std::string& flag, const std::string& value, const std::string& example) {
  if (value.find_first_not_of(" \t\n\r\v\f") == std::string::npos) {
    throw CliError(flag + " is empty; pass " + example + ", or leave " + flag +
                   " out to run the job's own command");
  }
}

void DbtFlags::add_to(CLI::App* cmd, bool selection_only) {
  cmd->add_option("-s,--select", selects,
                  "dbt selector appended to the job's command (repeatable); SQLMesh: --select-model");
  cmd->add_option("--exclude", excludes, "dbt exclusion appended to the job's command (repeatable)");
  cmd->add_option("--selector", selector, "A selector of the project's selectors.yml (dbt --selector)");
  if (selection_only) return;
  cmd->add_option("--vars", vars, "dbt --vars: YAML such as '{days: 7}'");
  cmd->add_option("--target", target, "dbt --target: a target of the project's profile");
  cmd->add_option("--threads", threads, "dbt --threads: how many nodes dbt runs at once")->check(CLI::Range(1, 1024));
  cmd->add_flag("--full-refresh", full_refresh, "dbt --full-refresh: rebuild incremental models and seeds");
  cmd->add_flag("--defer-to-last-success", defer_to_last_success,
                "dbt --defer with the state of the job's newest successful run");
}

std::string DbtFlags::typed(const CLI::App* cmd, bool with_command) const {
  std::string out;
  auto add = [&](const char* name) {
    if (given(cmd, name)) out += (out.empty() ? "" : "/") + std::string(name);
  };
  if (with_command) add("--command");
  for (const char* name : kCommandOptions) add(name);
  add("--defer-to-last-success");
  return out;
}

bool DbtFlags::change_command(const CLI::App* cmd, bool defer_as_flag) const {
  for (const char* name : kCommandOptions)
    if (given(cmd, name)) return true;
  return defer_as_flag && given(cmd, "--defer-to-last-success");
}

std::vector<std::string> DbtFlags::append_to(std::vector<std::string> argv, const CLI::App* cmd,
                                             bool defer_as_flag) const {
  if (!argv.empty() && argv.front() == "sqlmesh") {
    append_sqlmesh(argv, cmd, *this, defer_as_flag);
    return argv;
  }
  auto push = [&argv](const std::string& flag, const std::string& value) {
    argv.push_back(flag);
    argv.push_back(value);
  };
  for (const auto& s : selects) push("--select", s);
  for (const auto& e : excludes) push("--exclude", e);
  if (given(cmd, "--selector")) push("--selector", selector);
  if (given(cmd, "--vars")) push("--vars", vars);
  if (given(cmd, "--target")) push("--target", target);
  if (given(cmd, "--threads")) push("--threads", std::to_string(threads));
  if (full_refresh) argv.push_back("--full-refresh");
  if (defer_as_flag && defer_to_last_success && std::find(argv.begin(), argv.end(), "--defer") == argv.end()) {
    argv.push_back("--defer");
  }
  return argv;
}

std::optional<std::string> build_command(const CLI::App* cmd, const DbtFlags& flags, bool command_given,
                                         const std::string& command,
                                         const std::function<std::string()>& job_command, bool defer_as_flag) {
  // Said before the project's type is known: examples that read right for dbt and SQLMesh.
  const std::string selector_example = "a selector such as 'my_model+'";
  if (command_given) refuse_blank("--command", command, "a command such as 'dbt build --select my_model+' or 'sqlmesh run'");
  for (const auto& s : flags.selects) refuse_blank("--select", s, selector_example);
  for (const auto& e : flags.excludes) refuse_blank("--exclude", e, selector_example);
  if (given(cmd, "--selector")) refuse_blank("--selector", flags.selector, "a selector of selectors.yml");
  if (given(cmd, "--vars")) refuse_blank("--vars", flags.vars, "YAML such as '{days: 7}'");
  if (given(cmd, "--target")) refuse_blank("--target", flags.target, "a target of the project's profile");
  if (!command_given && !flags.change_command(cmd, defer_as_flag)) return std::nullopt;
  auto words = common::split_command_words(command_given ? command : job_command());
  if (!words) throw CliError("--command: " + words.error());
  return common::join_command_words(flags.append_to(std::move(words).value(), cmd, defer_as_flag));
}

nlohmann::json naming_flags(const std::string& field, const std::string& typed,
                            const std::function<nlohmann::json()>& request) {
  try {
    return request();
  } catch (const CliError& e) {
    const std::string message = e.what();
    const std::string prefix = field + ": ";
    if (typed.empty() || message.rfind(prefix, 0) != 0) throw;
    throw CliError(typed + ": " + message.substr(prefix.size()), e.exit_code());
  }
}

}  // namespace dagctl::cli
