#include "common/sqlmesh_command.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace dagctl::common {
namespace {

using command_text::is_blank;
using command_text::normalized_flag_name;
using command_text::quoted;

// The grammar below mirrors SQLMesh 0.236's own click options (sqlmesh/cli/main.py and
// cli/options.py): which subcommand takes which option, and what value it takes. Global
// options belong to the `sqlmesh` group, so click reads them only before the subcommand.
// docs/commands.md#sqlmesh is its user-facing form; change both together.

enum Sub : unsigned {
  kRun = 1u << 0,
  kPlan = 1u << 1,
  kAudit = 1u << 2,
  kTest = 1u << 3,
  kJanitor = 1u << 4,
  kGlobal = 1u << 5,  // between "sqlmesh" and the subcommand
};

struct SubcommandSpec {
  std::string_view name;
  unsigned bit;
  bool takes_environment;  // one optional positional word: run [ENV], plan [ENV]
};

constexpr std::array<SubcommandSpec, 5> kSubcommands = {{
    {"run", kRun, true},
    {"plan", kPlan, true},
    {"audit", kAudit, false},
    {"test", kTest, false},
    {"janitor", kJanitor, false},
}};

constexpr std::string_view kAllowedSubcommands = "run, plan, audit, test, janitor";

struct Refusal {
  std::string_view name;
  std::string_view reason;
};

// SQLMesh subcommands nobody may run through the daemon, and why; the others get the list of
// allowed ones.
constexpr std::array<Refusal, 17> kRefusedSubcommands = {{
    {"ui", "starts a web server that never ends, and its editor writes the project's files"},
    {"fetchdf", "runs any SQL given on the command line and prints the rows it reads"},
    {"evaluate", "prints the rows a model reads, rather than running the project"},
    {"render", "prints a model's SQL rather than running the project"},
    {"init", "creates a new project; register an existing one with 'dagctl project add'"},
    {"format", "rewrites the project's files"},
    {"destroy", "drops every table and all the state of the project"},
    {"invalidate", "removes an environment"},
    {"rollback", "rolls SQLMesh's state back to its last migration"},
    {"migrate", "migrates SQLMesh's state, shared by every project that uses it"},
    {"create_test", "writes a test file into the project from data it reads"},
    {"table_diff", "prints the rows of two tables (data) rather than running the project"},
    {"dlt_refresh", "writes model files into the project"},
    {"create_external_models", "writes external_models.yaml into the project"},
    {"dag", "writes an HTML file to a path given on the command line"},
    {"clean", "deletes the project's cache folder"},
    {"state", "exports SQLMesh's state to a file or replaces it from one"},
}};

// What an option's value must look like.
enum class Value {
  none,         // a switch: --auto-apply
  model,        // a model selector: sqlmesh_example.full_model, tag:x, +m, m+, schema.*
  time,         // 2024-01-01, '1 week ago', 2024-01-01T00:00:00, yesterday
  environment,  // an environment name
  gateway,      // a gateway name of the project's config
  config,       // a config object's name in config.py
  integer,      // 0..1000000
  pattern,      // -k: a substring of test names
};

struct FlagSpec {
  std::string_view name;
  Value value;
  unsigned subs;
  std::string_view owner_reason = {};  // non-empty: the socket owner only, because of this
};

constexpr std::string_view kDebugReason =
    "it turns every library's logging to DEBUG in the run's log, and database drivers' debug "
    "logs can show connection settings and credentials";
constexpr std::string_view kForceDeleteReason =
    "it deletes SQLMesh's state records even when dropping their tables fails, leaving tables "
    "nothing tracks";

constexpr unsigned kTimed = kRun | kPlan | kAudit;

// The allowlist. An option absent here is refused; one present here is accepted only where
// `subs` says. Options that click declares with multiple=True may repeat; each occurrence
// takes exactly one value (click does not read further words as values).
constexpr FlagSpec kFlags[] = {
    // The sqlmesh group's options.
    {"--gateway", Value::gateway, kGlobal},
    {"--config", Value::config, kGlobal},
    {"--ignore-warnings", Value::none, kGlobal},
    {"--log-to-stdout", Value::none, kGlobal},
    {"--debug", Value::none, kGlobal, kDebugReason},
    // Selection and time.
    {"--select-model", Value::model, kRun | kPlan | kTest},
    {"--backfill-model", Value::model, kPlan},
    {"--restate-model", Value::model, kPlan},
    {"-r", Value::model, kPlan},
    {"--allow-destructive-model", Value::model, kPlan},
    {"--allow-additive-model", Value::model, kPlan},
    {"--model", Value::model, kAudit},
    {"--start", Value::time, kTimed},
    {"-s", Value::time, kTimed},
    {"--end", Value::time, kTimed},
    {"-e", Value::time, kTimed},
    {"--execution-time", Value::time, kPlan | kAudit},
    {"--ignore-cron", Value::none, kRun | kPlan},
    // run.
    {"--skip-janitor", Value::none, kRun},
    {"--no-auto-upstream", Value::none, kRun},
    {"--exit-on-env-update", Value::integer, kRun},
    // plan.
    {"--auto-apply", Value::none, kPlan},
    {"--no-prompts", Value::none, kPlan},
    {"--forward-only", Value::none, kPlan},
    {"--skip-backfill", Value::none, kPlan},
    {"--dry-run", Value::none, kPlan},
    {"--empty-backfill", Value::none, kPlan},
    {"--skip-tests", Value::none, kPlan},
    {"--test-changed-only", Value::none, kPlan},
    {"--skip-linter", Value::none, kPlan},
    {"--no-gaps", Value::none, kPlan},
    {"--no-diff", Value::none, kPlan},
    {"--run", Value::none, kPlan},
    {"--include-unmodified", Value::none, kPlan},
    {"--enable-preview", Value::none, kPlan},
    {"--no-auto-categorization", Value::none, kPlan},
    {"--diff-rendered", Value::none, kPlan},
    {"--explain", Value::none, kPlan},
    {"--create-from", Value::environment, kPlan},
    {"--effective-from", Value::time, kPlan},
    {"--min-intervals", Value::integer, kPlan},
    {"--verbose", Value::none, kPlan | kTest},
    {"-v", Value::none, kPlan | kTest},
    {"-vv", Value::none, kPlan | kTest},  // click counts a cluster of -v; SQLMesh knows two levels
    // test.
    {"-k", Value::pattern, kTest},
    {"--preserve-fixtures", Value::none, kTest},
    {"--local", Value::none, kTest},  // reads only the project's files, not SQLMesh's state
    // janitor.
    {"--ignore-ttl", Value::none, kJanitor},
    {"--environment", Value::environment, kJanitor},
    {"-e", Value::environment, kJanitor},
    {"--force-delete", Value::none, kJanitor, kForceDeleteReason},
};

constexpr std::string_view kPathReason =
    "names a path, and SQLMesh's paths are set by the daemon (the project folder is where the "
    "run starts)";

// Options refused for everyone, with why (matched on normalized_flag_name, anywhere in the
// command, so that these reasons win over any other message).
constexpr std::array<Refusal, 6> kRefusedFlags = {{
    {"-p", kPathReason},
    {"--paths", kPathReason},
    {"--log-file-dir", kPathReason},
    {"--dotenv", kPathReason},
    {"--version", "prints SQLMesh's version and runs nothing"},
    {"--help", "prints help and runs nothing"},
}};

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxTimeBytes = 64;

const SubcommandSpec* find_subcommand(std::string_view word) {
  for (const auto& s : kSubcommands)
    if (s.name == word) return &s;
  return nullptr;
}

const FlagSpec* find_flag(std::string_view name, unsigned bit, unsigned& elsewhere) {
  elsewhere = 0;
  for (const auto& f : kFlags) {
    if (f.name != name) continue;
    if ((f.subs & bit) != 0) return &f;
    elsewhere |= f.subs;
  }
  return nullptr;
}

template <std::size_t N>
const Refusal* find_refusal(const std::array<Refusal, N>& table, std::string_view name) {
  for (const auto& r : table)
    if (r.name == name) return &r;
  return nullptr;
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// An environment or gateway name: letters, digits, '_' and '-' (SQLMesh keeps its case).
bool is_name(std::string_view w) {
  return !w.empty() && w.size() <= kMaxNameBytes && std::all_of(w.begin(), w.end(), [](char c) {
           return is_ascii_alnum(c) || c == '_' || c == '-';
         });
}

// A Python identifier, as getattr(config_module, name) looks it up.
bool is_config_name(std::string_view w) {
  return !w.empty() && w.size() <= kMaxNameBytes && !(w[0] >= '0' && w[0] <= '9') &&
         std::all_of(w.begin(), w.end(), [](char c) { return is_ascii_alnum(c) || c == '_'; });
}

// What SQLMesh's to_datetime reads: ISO dates and times, epoch numbers, and English phrases
// ('1 week ago', yesterday). No '_', '.' or '/': a model name given to -s by habit from dbt
// is refused instead of failing later as a date.
bool is_time(std::string_view w) {
  return !w.empty() && w.size() <= kMaxTimeBytes && std::all_of(w.begin(), w.end(), [](char c) {
           return is_ascii_alnum(c) || c == ' ' || c == ':' || c == '-' || c == '+';
         });
}

bool is_count(std::string_view w) {
  if (w.empty() || w.size() > 7 || w.find_first_not_of("0123456789") != std::string_view::npos) return false;
  if (w.size() > 1 && w[0] == '0') return false;
  return std::stol(std::string(w)) <= 1000000;
}

// SQLMesh runs `git diff <branch>...` for a git:<branch> selector; a branch starting with '-'
// would be read by git as an option (--output=FILE writes a file).
bool has_git_option(std::string_view selector) {
  std::string lower(selector);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (std::size_t at = lower.find("git:"); at != std::string::npos; at = lower.find("git:", at + 1)) {
    const std::size_t next = lower.find_first_not_of(" (", at + 4);
    if (next != std::string::npos && lower[next] == '-') return true;
  }
  return false;
}

std::string sub_list(unsigned subs) {
  std::string out;
  for (const auto& s : kSubcommands) {
    if ((subs & s.bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

std::string first_sub(unsigned subs) {
  for (const auto& s : kSubcommands)
    if ((subs & s.bit) != 0) return std::string(s.name);
  return "run";
}

}  // namespace

Result<std::vector<std::string>> validate_sqlmesh_command(std::string_view command,
                                                          std::string_view what, Trust trust) {
  const std::string prefix = std::string(what) + ": ";
  const auto fail = [&](const std::string& tail) { return make_error(prefix + tail); };
  const std::string owner_only =
      " is for the socket owner only (the dagctl CLI on the daemon's machine), not for API "
      "tokens: ";

  // The refusals shared with every tool's grammar (docs/commands.md, "How a command is read").
  auto split = split_checked_command(command, what, "sqlmesh", "'sqlmesh run'");
  if (!split) return make_error(split.error());
  std::vector<std::string> words = std::move(split).value();

  if (words.empty() || words[0] != "sqlmesh")
    return fail("must start with 'sqlmesh'; got " + quoted(words.empty() ? "" : words[0]));

  // Refused for everyone, anywhere (even as another option's value: a false refusal is
  // cheap, a missed one is not), before word order so that the message names the real issue.
  for (std::size_t k = 1; k < words.size(); ++k) {
    if (const Refusal* r = find_refusal(kRefusedFlags, normalized_flag_name(words[k])))
      return fail(quoted(words[k].substr(0, words[k].find('='))) + " " + std::string(r->reason));
  }

  // Reads the option at words[i] for `bit` (kGlobal or one subcommand's) and its value;
  // returns the index after them, or the error. `place` names where it is, for messages.
  const auto read_flag = [&](std::size_t i, unsigned bit,
                             const std::string& place) -> Result<std::size_t> {
    const std::string& w = words[i];
    if (w == "--")
      return fail("'--' is not allowed: SQLMesh would read every word after it as a positional "
                  "argument");
    std::string_view name = w;
    std::optional<std::string_view> attached;  // the value of --option=value
    if (w.size() > 1 && w[1] == '-') {
      if (const std::size_t eq = w.find('='); eq != std::string::npos) {
        name = std::string_view(w).substr(0, eq);
        attached = std::string_view(w).substr(eq + 1);
      }
    } else if (w.size() != 2 && w != "-vv") {
      return fail(quoted(w) +
                  " is not an allowed option; write short options one per word, with a value as "
                  "the next word (e.g. -s 2024-01-01)");
    }

    unsigned elsewhere = 0;
    const FlagSpec* flag = find_flag(name, bit, elsewhere);
    if (flag == nullptr) {
      if (bit == kGlobal && elsewhere != 0)
        return fail(quoted(name) + " comes before the subcommand; put it after the subcommand, e.g. " +
                    quoted("sqlmesh " + first_sub(elsewhere) + " " + w));
      if (bit == kGlobal)
        return fail(quoted(name) +
                    " is not an allowed global option; before the subcommand dagctl accepts "
                    "--gateway, --config, --ignore-warnings, --log-to-stdout and --debug");
      if ((elsewhere & kGlobal) != 0) {
        unsigned unused = 0;
        const bool switch_only = find_flag(name, kGlobal, unused)->value == Value::none;
        return fail(quoted(name) + " is an option of 'sqlmesh' itself; put it before the subcommand, e.g. " +
                    quoted("sqlmesh " + w + (attached || switch_only ? "" : " NAME") + " " +
                           place.substr(std::string_view("sqlmesh ").size())));
      }
      if (elsewhere != 0)
        return fail(quoted(place) + " does not take " + quoted(name) +
                    " (dagctl accepts it for " + sub_list(elsewhere) + ")");
      return fail(quoted(name) +
                  " is not an allowed option (dagctl accepts a fixed list of SQLMesh options per "
                  "subcommand; docs/commands.md#sqlmesh lists them)");
    }
    if (!flag->owner_reason.empty() && trust == Trust::token)
      return fail(quoted(name) + owner_only + std::string(flag->owner_reason));

    if (flag->value == Value::none) {
      if (attached) return fail(quoted(name) + " takes no value; write it alone");
      return i + 1;
    }
    std::string_view value;
    std::size_t next = i + 1;
    if (attached) {
      value = *attached;
    } else {
      if (i + 1 >= words.size()) return fail(quoted(name) + " needs a value");
      value = words[i + 1];
      // click would take it as the value; refusing keeps an option from hiding there.
      if (!value.empty() && value[0] == '-')
        return fail(quoted(name) + " needs a value, but the next word " + quoted(value) +
                    " starts with '-'; if that is the value, write " +
                    quoted(std::string(name) + "=" + std::string(value)));
      next = i + 2;
    }
    if (is_blank(value)) return fail(quoted(name) + " has an empty value; give one or leave it out");
    const std::string of = quoted(name) + " of " + quoted(place);
    switch (flag->value) {
      case Value::model:
        if (has_git_option(value))
          return fail(quoted(value) + " names a git branch starting with '-', which git would read "
                                      "as an option; name the branch without a leading '-'");
        break;
      case Value::time:
        if (!is_time(value))
          return fail(of + " takes a time such as 2024-01-01, 2024-01-01T00:00:00, '1 week ago' "
                           "or yesterday; got " + quoted(value) +
                      (name == "-s" ? " (in SQLMesh -s is --start; to select a model, write " +
                                          quoted("--select-model " + std::string(value)) + ")"
                                    : ""));
        break;
      case Value::environment:
        if (!is_name(value))
          return fail(of + " takes an environment name (letters, digits, '_' and '-', at most 64 "
                           "bytes); got " + quoted(value));
        break;
      case Value::gateway:
        if (!is_name(value))
          return fail(of + " takes the name of a gateway of the project's config (letters, digits, "
                           "'_' and '-', at most 64 bytes); got " + quoted(value));
        break;
      case Value::config:
        if (!is_config_name(value))
          return fail(of + " takes the name of a config object in the project's config.py (a "
                           "Python name such as prod_config), not a path; got " + quoted(value));
        break;
      case Value::integer:
        if (!is_count(value))
          return fail(of + " takes a whole number from 0 to 1000000; got " + quoted(value));
        break;
      case Value::pattern:
      case Value::none:
        break;
    }
    return next;
  };

  // Global options, up to the first word that is not an option: the subcommand.
  std::size_t i = 1;
  while (i < words.size() && !words[i].empty() && words[i][0] == '-') {
    auto next = read_flag(i, kGlobal, "sqlmesh");
    if (!next) return make_error(next.error());
    i = *next;
  }
  if (i >= words.size())
    return fail("'sqlmesh' has no subcommand; pass e.g. 'sqlmesh run' or "
                "'sqlmesh plan dev --auto-apply --no-prompts'");

  const std::string& sub_word = words[i];
  const SubcommandSpec* sub = find_subcommand(sub_word);
  if (sub == nullptr) {
    if (const Refusal* r = find_refusal(kRefusedSubcommands, sub_word))
      return fail(quoted("sqlmesh " + sub_word) + " is not allowed: it " + std::string(r->reason) +
                  "; use one of " + std::string(kAllowedSubcommands));
    return fail(quoted("sqlmesh " + sub_word) + " is not an allowed sqlmesh subcommand; use one of " +
                std::string(kAllowedSubcommands));
  }
  const std::string sub_name = "sqlmesh " + sub_word;
  ++i;

  bool has_environment = false;
  bool auto_apply = false;
  bool no_prompts = false;
  while (i < words.size()) {
    const std::string& w = words[i];
    if (is_blank(w)) return fail("an empty word ('' or \"\") is not allowed; remove it");
    if (w[0] != '-') {
      if (sub->takes_environment && !has_environment) {
        if (!is_name(w))
          return fail(quoted(w) + " is not an environment name; " + quoted(sub_name) +
                      " takes one environment (letters, digits, '_' and '-', at most 64 bytes), "
                      "then options");
        has_environment = true;
        ++i;
        continue;
      }
      if (sub->bit == kTest)
        return fail(quoted(w) + " is not allowed: 'sqlmesh test' would read it as a test or model "
                                "file to run (it names files); choose tests with --select-model or -k");
      const std::string hint =
          sub->bit == kAudit     ? " (to audit a model, write " + quoted("--model " + w) + ")"
          : sub->bit == kJanitor ? " (to clean one environment, write " + quoted("--environment " + w) + ")"
                                 : " (to select a model, write " + quoted("--select-model " + w) + ")";
      return fail(quoted(w) + " is not an option or an option's value; " + quoted(sub_name) +
                  (sub->takes_environment ? " takes one environment name only" : " takes no other words") +
                  hint);
    }
    auto next = read_flag(i, sub->bit, sub_name);
    if (!next) return make_error(next.error());
    auto_apply = auto_apply || w == "--auto-apply";
    no_prompts = no_prompts || w == "--no-prompts";
    i = *next;
  }
  if (sub->bit == kPlan && !(auto_apply && no_prompts)) {
    const std::string missing = !auto_apply && !no_prompts ? "--auto-apply --no-prompts"
                                : !auto_apply              ? "--auto-apply"
                                                           : "--no-prompts";
    return fail("'sqlmesh plan' needs both --auto-apply and --no-prompts: a run has no terminal to "
                "answer SQLMesh's prompts; add " + quoted(missing));
  }
  return words;
}

}  // namespace dagctl::common
