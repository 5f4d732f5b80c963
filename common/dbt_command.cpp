#include "common/dbt_command.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace dagctl::common {
namespace {

// The grammar below mirrors dbt-core 1.11's own click options (dbt/cli/main.py, params.py):
// which subcommand takes which flag, and whether the flag takes a value. docs/commands.md is
// its user-facing form; change both together.

// Subcommands as bits, so that one row of the flag table says where dbt accepts the flag.
enum Sub : unsigned {
  kBuild = 1u << 0,
  kRun = 1u << 1,
  kTest = 1u << 2,
  kSeed = 1u << 3,
  kSnapshot = 1u << 4,
  kCompile = 1u << 5,
  kList = 1u << 6,
  kParse = 1u << 7,
  kFreshness = 1u << 8,
  kDocsGenerate = 1u << 9,
  kRetry = 1u << 10,
  kClone = 1u << 11,
  kShow = 1u << 12,
  kRunOperation = 1u << 13,
  kDeps = 1u << 14,
  kDebug = 1u << 15,
};
constexpr unsigned kAll = (1u << 16) - 1;
constexpr unsigned kSelecting = kBuild | kRun | kTest | kSeed | kSnapshot | kCompile | kList |
                                kFreshness | kDocsGenerate | kClone | kShow;
constexpr unsigned kResourceTypes = kBuild | kClone | kList | kTest;
constexpr unsigned kFullRefresh = kBuild | kClone | kCompile | kRetry | kRun | kSeed | kShow;
constexpr unsigned kThreads = kAll & ~(kList | kDeps | kDebug);

struct SubcommandSpec {
  std::string_view name;
  std::string_view action;  // the one allowed action of a group ("source freshness"), or ""
  unsigned bit;
  std::string_view owner_reason;  // non-empty: the socket owner only, because of this
  bool takes_macro;               // one positional word: run-operation MACRO
};

constexpr std::array<SubcommandSpec, 17> kSubcommands = {{
    {"build", "", kBuild, "", false},
    {"run", "", kRun, "", false},
    {"test", "", kTest, "", false},
    {"seed", "", kSeed, "", false},
    {"snapshot", "", kSnapshot, "", false},
    {"compile", "", kCompile, "", false},
    {"ls", "", kList, "", false},
    {"list", "", kList, "", false},
    {"parse", "", kParse, "", false},
    {"source", "freshness", kFreshness, "", false},
    {"docs", "generate", kDocsGenerate, "", false},
    {"retry", "", kRetry, "", false},
    {"clone", "", kClone, "", false},
    {"show", "", kShow, "", false},
    // The project's own check of its connection and files. It names no path here: its
    // --config-dir, --profiles-dir and --project-dir are refused like everywhere.
    {"debug", "", kDebug, "", false},
    {"run-operation", "", kRunOperation,
     "it runs any macro with any arguments, and dbt's own macros run any SQL", true},
    {"deps", "", kDeps, "it installs packages into the project folder, fetching code", false},
}};

constexpr std::string_view kTokenSubcommands =
    "build, run, test, seed, snapshot, compile, ls, list, parse, source freshness, docs generate, "
    "retry, clone, show, debug";

struct Refusal {
  std::string_view name;
  std::string_view reason;
};

// Subcommands nobody may run through the daemon, and why.
constexpr std::array<Refusal, 2> kRefusedSubcommands = {{
    {"init", "creates a new project; register an existing one with 'dagctl project add'"},
    {"clean", "deletes folders of the project"},
}};

enum class Arity {
  none,  // a switch: --full-refresh
  one,   // one value: --target prod, --target=prod
  many,  // dbt's MultiOption: one value, then every further word up to the next flag
};

struct FlagSpec {
  std::string_view name;
  Arity arity;
  unsigned subs;
  // For Arity::many: dbt stops taking values only at a word starting with one of the flag's
  // own prefixes. A flag without a short form ("--exclude") therefore swallows "-x" as a value.
  bool swallows_short_flags = false;
  std::string_view choices = {};       // space-separated allowed values; "" takes any
  std::string_view owner_reason = {};  // non-empty: the socket owner only, because of this
};

constexpr std::string_view kInlineReason =
    "it runs SQL and Jinja written by the caller, which can read files and the daemon's secrets";

// The allowlist. A flag absent here is refused; a flag present here is accepted only by the
// subcommands in `subs`.
constexpr FlagSpec kFlags[] = {
    // dbt's global flags, accepted after every subcommand.
    {"--debug", Arity::none, kAll},
    {"-d", Arity::none, kAll},
    {"--no-debug", Arity::none, kAll},
    {"--quiet", Arity::none, kAll},
    {"-q", Arity::none, kAll},
    {"--no-quiet", Arity::none, kAll},
    {"--fail-fast", Arity::none, kAll},
    {"-x", Arity::none, kAll},
    {"--no-fail-fast", Arity::none, kAll},
    {"--warn-error", Arity::none, kAll},
    {"--warn-error-options", Arity::one, kAll},
    {"--defer", Arity::none, kAll},
    {"--no-defer", Arity::none, kAll},
    {"--favor-state", Arity::none, kAll},
    {"--no-favor-state", Arity::none, kAll},
    {"--indirect-selection", Arity::one, kAll, false, "eager cautious buildable empty"},
    {"--partial-parse", Arity::none, kAll},
    {"--no-partial-parse", Arity::none, kAll},
    {"--print", Arity::none, kAll},
    {"--no-print", Arity::none, kAll},
    {"--target", Arity::one, kAll},
    {"-t", Arity::one, kAll},
    {"--vars", Arity::one, kAll},
    {"--profile", Arity::one, kAll, false, "",
     "it picks other credentials from the project's profiles.yml"},
    // Node selection.
    {"--select", Arity::many, kSelecting},
    {"-s", Arity::many, kSelecting},
    {"--models", Arity::many, kSelecting},
    {"--model", Arity::many, kSelecting},
    {"-m", Arity::many, kSelecting},
    {"--exclude", Arity::many, kSelecting, true},
    {"--selector", Arity::one, kSelecting},
    {"--resource-type", Arity::many, kResourceTypes, true},
    {"--resource-types", Arity::many, kResourceTypes, true},
    {"--exclude-resource-type", Arity::many, kResourceTypes, true},
    {"--exclude-resource-types", Arity::many, kResourceTypes, true},
    // Flags of some subcommands.
    {"--full-refresh", Arity::none, kFullRefresh},
    {"-f", Arity::none, kFullRefresh},
    {"--threads", Arity::one, kThreads},
    {"--empty", Arity::none, kBuild | kCompile | kRun | kSnapshot},
    {"--no-empty", Arity::none, kBuild | kCompile | kRun | kSnapshot},
    {"--event-time-start", Arity::one, kBuild | kRun},
    {"--event-time-end", Arity::one, kBuild | kRun},
    {"--sample", Arity::one, kBuild | kRun},
    {"--store-failures", Arity::none, kBuild | kTest},
    {"--show", Arity::none, kBuild | kSeed},
    {"--limit", Arity::one, kShow},
    // A format, not a file; "source freshness --output" names a file and is refused.
    {"--output", Arity::one, kList, false, "json name path selector"},
    {"--output", Arity::one, kCompile | kShow, false, "json text"},
    {"--output-keys", Arity::many, kList, true},
    {"--introspect", Arity::none, kCompile | kShow},
    {"--no-introspect", Arity::none, kCompile | kShow},
    {"--inject-ephemeral-ctes", Arity::none, kCompile},
    {"--no-inject-ephemeral-ctes", Arity::none, kCompile},
    {"--compile", Arity::none, kDocsGenerate},
    {"--no-compile", Arity::none, kDocsGenerate},
    {"--static", Arity::none, kDocsGenerate},
    {"--empty-catalog", Arity::none, kDocsGenerate},
    {"--connection", Arity::none, kDebug},
    // The socket owner only.
    {"--inline", Arity::one, kCompile | kShow, false, "", kInlineReason},
    {"--inline-direct", Arity::one, kShow, false, "", kInlineReason},
    {"--args", Arity::one, kRunOperation},
    {"--upgrade", Arity::none, kDeps},
    {"--lock", Arity::none, kDeps},
};

constexpr std::string_view kPathReason =
    "names a path, and dbt's paths are set by the daemon (the project, its profiles and the "
    "run's own folder)";
constexpr std::string_view kStateReason =
    "cannot be set: the daemon chooses dbt's state; with --defer it passes the state of the "
    "job's newest successful run";
constexpr std::string_view kDaemonFilesReason =
    "would change the log file or run_results.json that the daemon reads to follow the run";
constexpr std::string_view kPackagesReason =
    "edits the project's packages.yml; add the package to packages.yml in the project instead";

// Flags refused for everyone, with why (matched on normalized_flag_name, anywhere in the
// command, so that these reasons win over any other message).
constexpr std::array<Refusal, 20> kRefusedFlags = {{
    {"--project-dir", kPathReason},
    {"--profiles-dir", kPathReason},
    {"--target-path", kPathReason},
    {"--log-path", kPathReason},
    {"--packages-install-path", kPathReason},
    {"--partial-parse-file-path", kPathReason},
    {"--record-timing-info", kPathReason},
    {"-r", kPathReason},
    {"--state", kStateReason},
    {"--defer-state", kStateReason},
    {"--deprecated-state", kStateReason},
    {"--add-package", kPackagesReason},
    {"--source", kPackagesReason},
    {"--log-format-file", kDaemonFilesReason},
    {"--log-level-file", kDaemonFilesReason},
    {"--log-file-max-bytes", kDaemonFilesReason},
    {"--write-json", kDaemonFilesReason},
    {"--no-write-json", kDaemonFilesReason},
    {"--send-anonymous-usage-stats", "would send usage data off this machine; runs keep it off"},
    {"--macro-debugging", "starts an interactive debugger, and runs have no terminal"},
}};

using command_text::is_blank;
using command_text::normalized_flag_name;
using command_text::quoted;

const SubcommandSpec* find_subcommand(std::string_view word) {
  for (const auto& s : kSubcommands)
    if (s.name == word) return &s;
  return nullptr;
}

// The row for `name` under subcommand `bit`, else nullptr; `elsewhere` tells whether dbt
// knows the flag for another subcommand.
const FlagSpec* find_flag(std::string_view name, unsigned bit, bool& elsewhere) {
  elsewhere = false;
  for (const auto& f : kFlags) {
    if (f.name != name) continue;
    if ((f.subs & bit) != 0) return &f;
    elsewhere = true;
  }
  return nullptr;
}

template <std::size_t N>
const Refusal* find_refusal(const std::array<Refusal, N>& table, std::string_view name) {
  for (const auto& r : table)
    if (r.name == name) return &r;
  return nullptr;
}

bool is_choice(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    const std::size_t space = choices.find(' ');
    if (choices.substr(0, space) == value) return true;
    if (space == std::string_view::npos) break;
    choices.remove_prefix(space + 1);
  }
  return false;
}

std::string comma_list(std::string_view choices) {
  std::string out(choices);
  for (std::size_t at = 0; (at = out.find(' ', at)) != std::string::npos; at += 2) out.replace(at, 1, ", ");
  return out;
}

// The start of a Jinja tag ({{, {% or {#: dbt's Jinja has no other delimiters), if any.
// dbt renders every string var as a template when a model reads it (Var.get_rendered_var in
// dbt/context/base.py); YAML cannot produce these characters from other text here, because
// its escapes need a backslash, which is refused.
std::optional<std::string_view> find_jinja(std::string_view value) {
  for (std::string_view tag : {"{{", "{%", "{#"})
    if (value.find(tag) != std::string_view::npos) return tag;
  return std::nullopt;
}

// A macro name as run-operation takes it: MACRO or PACKAGE.MACRO.
bool is_macro_name(std::string_view w) {
  if (w.empty()) return false;
  return std::all_of(w.begin(), w.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  });
}

}  // namespace

Result<std::vector<std::string>> validate_dbt_command(std::string_view command,
                                                      std::string_view what, Trust trust) {
  const std::string prefix = std::string(what) + ": ";
  const auto fail = [&](const std::string& tail) { return make_error(prefix + tail); };
  const std::string owner_only =
      " is for the socket owner only (the dagctl CLI on the daemon's machine), not for API "
      "tokens: ";

  // The refusals shared with every tool's grammar (docs/commands.md, "How a command is read").
  auto split = split_checked_command(command, what, "dbt", "'dbt build --select my_model+'");
  if (!split) return make_error(split.error());
  std::vector<std::string> words = std::move(split).value();

  if (words.empty() || words[0] != "dbt")
    return fail("must start with 'dbt'; got " + quoted(words.empty() ? "" : words[0]));

  // Flags refused for everyone, anywhere (even as another flag's value: a false refusal is
  // cheap, a missed one is not), checked before word order so that the message names the
  // real issue.
  for (std::size_t k = 1; k < words.size(); ++k) {
    if (const Refusal* r = find_refusal(kRefusedFlags, normalized_flag_name(words[k])))
      return fail(quoted(words[k].substr(0, words[k].find('='))) + " " + std::string(r->reason));
  }

  if (words.size() < 2)
    return fail("'dbt' has no subcommand; pass e.g. 'dbt build --select my_model+'");

  // Global flags before the subcommand are refused rather than parsed: every one of them is
  // also accepted after the subcommand, so suggest exactly that.
  if (!words[1].empty() && words[1][0] == '-') {
    const auto sub = std::find_if(words.begin() + 2, words.end(), [](const std::string& w) {
      return find_subcommand(w) != nullptr;
    });
    std::string example;
    if (sub != words.end()) {
      std::vector<std::string> reordered{"dbt", *sub};
      reordered.insert(reordered.end(), words.begin() + 1, sub);
      reordered.insert(reordered.end(), sub + 1, words.end());
      example = join_command_words(reordered);
    } else {
      example = join_command_words({"dbt", "build", words[1]});
    }
    return fail(quoted(words[1]) +
                " comes before the subcommand; put the subcommand right after 'dbt', e.g. " +
                quoted(example));
  }

  const std::string& sub_word = words[1];
  const SubcommandSpec* sub = find_subcommand(sub_word);
  if (sub == nullptr) {
    if (const Refusal* r = find_refusal(kRefusedSubcommands, sub_word))
      return fail(quoted("dbt " + sub_word) + " is not allowed: it " + std::string(r->reason));
    return fail(quoted("dbt " + sub_word) + " is not an allowed dbt subcommand; use one of " +
                std::string(kTokenSubcommands) +
                (trust == Trust::owner ? ", run-operation, deps" : ""));
  }

  std::size_t i = 2;
  std::string sub_name = "dbt " + sub_word;
  if (!sub->action.empty()) {
    const std::string action(sub->action);
    const std::string only = "the only allowed " + sub_word + " command is 'dbt " + sub_word +
                             " " + action + "'";
    if (words.size() < 3)
      return fail(quoted(sub_name) + " needs " + quoted(action) + "; " + only);
    if (words[2] != action) {
      const std::string why = words[2] == "serve" && sub_word == "docs"
                                  ? " (it starts a web server that never ends)"
                                  : "";
      return fail(quoted(sub_name + " " + words[2]) + " is not allowed" + why + "; " + only);
    }
    sub_name += " " + action;
    i = 3;
  }
  if (!sub->owner_reason.empty() && trust == Trust::token)
    return fail(quoted(sub_name) + owner_only + std::string(sub->owner_reason));

  // Flags and their values, as dbt's click parser reads them.
  const FlagSpec* open_many = nullptr;  // a flag still taking values (Arity::many)
  std::string_view open_many_name;
  bool has_macro = false;
  while (i < words.size()) {
    const std::string& w = words[i];
    if (is_blank(w)) {
      if (open_many != nullptr)
        return fail(quoted(open_many_name) + " has an empty value; give one or leave it out");
      return fail("an empty word ('' or \"\") is not allowed; remove it");
    }
    if (w[0] != '-') {
      if (open_many != nullptr) {  // one more value of --select and the like
        ++i;
        continue;
      }
      if (sub->takes_macro && !has_macro) {
        if (!is_macro_name(w))
          return fail(quoted(w) + " is not a macro name; '" + sub_name +
                      "' takes MACRO or PACKAGE.MACRO (letters, digits, '_' and '.')");
        has_macro = true;
        ++i;
        continue;
      }
      if (sub->takes_macro)
        return fail(quoted(w) + " is not a flag or a flag's value; '" + sub_name +
                    "' takes one macro name only");
      bool elsewhere = false;
      const std::string hint = find_flag("--select", sub->bit, elsewhere) != nullptr
                                   ? " (to select it, write " + quoted("--select " + w) + ")"
                                   : "";
      return fail(quoted(w) + " is not a flag or a flag's value; '" + sub_name +
                  "' takes no other words" + hint);
    }
    if (open_many != nullptr && open_many->swallows_short_flags && w.size() >= 2 && w[1] != '-')
      return fail(quoted(w) + " after " + quoted(open_many_name) +
                  " would be read by dbt as one more of its values; put " + quoted(w) +
                  " before " + quoted(open_many_name) + " or write its long form");
    open_many = nullptr;
    if (w == "--")
      return fail("'--' is not allowed: dbt would read every word after it as a positional "
                  "argument");

    std::string_view name = w;
    std::optional<std::string_view> attached;  // the value of --flag=value
    if (w[1] == '-') {
      if (const std::size_t eq = w.find('='); eq != std::string::npos) {
        name = std::string_view(w).substr(0, eq);
        attached = std::string_view(w).substr(eq + 1);
      }
    } else if (w.size() != 2) {
      return fail(quoted(w) +
                  " is not an allowed flag; write short flags one per word, with a value as the "
                  "next word (e.g. -t prod)");
    }

    if (sub->bit == kFreshness && (name == "--output" || name == "-o"))
      return fail(quoted(name) + " of 'dbt source freshness' " + std::string(kPathReason) +
                  "; the results are in the run's target/sources.json");
    bool elsewhere = false;
    const FlagSpec* flag = find_flag(name, sub->bit, elsewhere);
    if (flag == nullptr) {
      if (elsewhere)
        return fail(quoted(sub_name) + " does not take " + quoted(name) +
                    " (dbt accepts it for other subcommands)");
      return fail(quoted(name) +
                  " is not an allowed flag (dagctl accepts a fixed list of dbt flags per "
                  "subcommand; docs/commands.md lists them)");
    }
    if (!flag->owner_reason.empty() && trust == Trust::token)
      return fail(quoted(name) + owner_only + std::string(flag->owner_reason));

    if (flag->arity == Arity::none) {
      if (attached) return fail(quoted(name) + " takes no value; write it alone");
      ++i;
      continue;
    }
    std::string_view value;
    if (attached) {
      value = *attached;
      ++i;
    } else {
      if (i + 1 >= words.size()) return fail(quoted(name) + " needs a value");
      value = words[i + 1];
      // click would take it as the value; refusing keeps a flag from hiding there.
      if (!value.empty() && value[0] == '-')
        return fail(quoted(name) + " needs a value, but the next word " + quoted(value) +
                    " starts with '-'; if that is the value, write " +
                    quoted(std::string(name) + "=" + std::string(value)));
      i += 2;
    }
    if (is_blank(value))
      return fail(quoted(name) + " has an empty value; give one or leave it out");
    if (name == "--vars" && trust == Trust::token) {
      if (auto jinja = find_jinja(value))
        return fail("'--vars' holds Jinja (" + quoted(*jinja) +
                    "): dbt renders string vars as templates, so this would run code; a token "
                    "holder passes plain values only");
    }
    if (name == "--threads" && (value.size() > 4 || value.find_first_not_of("0123456789") != std::string::npos ||
                                value.front() == '0' || std::stoi(std::string(value)) > 1024))
      return fail("'--threads' takes a whole number from 1 to 1024; got " + quoted(value));
    if (!flag->choices.empty() && !is_choice(flag->choices, value))
      return fail(quoted(name) + " of " + quoted(sub_name) + " takes one of " +
                  comma_list(flag->choices) + "; got " + quoted(value));
    if (flag->arity == Arity::many) {
      open_many = flag;
      open_many_name = name;
    }
  }
  if (sub->takes_macro && !has_macro)
    return fail(quoted(sub_name) + " needs the name of the macro to run, e.g. " +
                quoted(sub_name + " my_macro"));
  return words;
}

}  // namespace dagctl::common
