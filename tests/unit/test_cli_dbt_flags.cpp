// Tests for cli/dbt_flags: dbt's flags as dagctl options, appended to a command, and the
// daemon's refusals named after the flags typed (docs/cli.md, "Triggering").
#include "cli/dbt_flags.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli/client.hpp"

namespace {

using dagctl::cli::build_command;
using dagctl::cli::CliError;
using dagctl::cli::DbtFlags;
using dagctl::cli::naming_flags;

struct Parsed {
  CLI::App app;
  DbtFlags flags;
  std::string command;
};

// `line` parsed as the options of a command that has the dbt flags and --command.
std::unique_ptr<Parsed> parse(const std::string& line, bool selection_only = false) {
  auto p = std::make_unique<Parsed>();
  p->flags.add_to(&p->app, selection_only);
  if (!selection_only) p->app.add_option("--command", p->command);
  p->app.parse(line, false);
  return p;
}

// `args` as argv words (CLI11's string form drops an empty '' word).
std::unique_ptr<Parsed> parse_words(std::vector<std::string> args) {
  auto p = std::make_unique<Parsed>();
  p->flags.add_to(&p->app);
  p->app.add_option("--command", p->command);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  p->app.parse(args);
  return p;
}

const std::string kJobCommand = "dbt build --select tag:nightly";

std::optional<std::string> built(const Parsed& p, bool defer_as_flag, int* asked = nullptr) {
  return build_command(&p.app, p.flags, p.app.count("--command") > 0, p.command,
                       [asked] {
                         if (asked) ++*asked;
                         return kJobCommand;
                       },
                       defer_as_flag);
}

TEST(DbtFlags, NothingTypedKeepsTheJobsCommandWithoutAskingForIt) {
  const auto p = parse("");
  int asked = 0;
  EXPECT_EQ(built(*p, false, &asked), std::nullopt);
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(p->flags.typed(&p->app, true), "");
}

TEST(DbtFlags, EveryFlagIsAppendedInOneOrder) {
  const auto p = parse("--threads 4 --vars '{days: 7}' -s a+ --exclude b --selector nightly --target prod "
                       "--full-refresh --select c");
  EXPECT_EQ(built(*p, false), kJobCommand +
                                  " --select a+ --select c --exclude b --selector nightly --vars '{days: 7}' "
                                  "--target prod --threads 4 --full-refresh");
  EXPECT_EQ(p->flags.typed(&p->app, true), "--select/--exclude/--selector/--vars/--target/--threads/--full-refresh");
}

TEST(DbtFlags, FlagsGoAfterTheCommandTyped) {
  const auto p = parse("--command 'dbt run  --select x' --target prod");
  int asked = 0;
  EXPECT_EQ(built(*p, false, &asked), "dbt run --select x --target prod");
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(p->flags.typed(&p->app, true), "--command/--target");
  EXPECT_EQ(p->flags.typed(&p->app), "--target");
}

TEST(DbtFlags, DeferToLastSuccessIsAFieldForATriggerAndDeferForAJob) {
  const auto p = parse("--defer-to-last-success");
  EXPECT_TRUE(p->flags.defer_to_last_success);
  EXPECT_EQ(built(*p, false), std::nullopt) << "a trigger sends defer_to_last_success instead";
  EXPECT_EQ(built(*p, true), kJobCommand + " --defer");
  const auto again = parse("--defer-to-last-success --command 'dbt run --defer'");
  EXPECT_EQ(built(*again, true), "dbt run --defer") << "--defer once";
}

TEST(DbtFlags, BlankValuesAreRefused) {
  for (const std::string flag : {"--vars", "--target", "--selector", "--select", "--exclude", "--command"}) {
    for (const std::string value : {"", " "}) {
      const auto p = parse_words({flag, value});
      try {
        built(*p, false);
        ADD_FAILURE() << flag << " '" << value << "' was accepted";
      } catch (const CliError& e) {
        EXPECT_NE(std::string(e.what()).find(flag + " is empty"), std::string::npos) << flag << ": " << e.what();
        // The job may be a SQLMesh one: no dbt-only wording for --select and --command.
        if (flag == "--select") {
          EXPECT_EQ(std::string(e.what()).find("dbt"), std::string::npos) << e.what();
        }
        if (flag == "--command") {
          EXPECT_NE(std::string(e.what()).find("sqlmesh run"), std::string::npos) << e.what();
        }
      }
    }
  }
}

TEST(DbtFlags, ThreadsMustBeANumberOfThreads) {
  EXPECT_THROW(parse("--threads 0"), CLI::ValidationError);
  EXPECT_THROW(parse("--threads many"), CLI::ParseError);
}

TEST(DbtFlags, SelectionOnlyHasNoRunFlags) {
  const auto p = parse("--select a --selector s", true);
  EXPECT_EQ(p->flags.typed(&p->app), "--select/--selector");
  EXPECT_THROW(parse("--vars x", true), CLI::ParseError);
  EXPECT_THROW(parse("--defer-to-last-success", true), CLI::ParseError);
}

TEST(DbtFlags, TheDaemonsRefusalNamesTheFlagsTyped) {
  const auto refuse = [](const std::string& message, int code = 2) {
    return [message, code]() -> nlohmann::json { throw CliError(message, code); };
  };
  try {
    naming_flags("command_override", "--command/--threads", refuse("command_override: 'dbt ls' does not take '--threads'"));
    ADD_FAILURE();
  } catch (const CliError& e) {
    EXPECT_STREQ(e.what(), "--command/--threads: 'dbt ls' does not take '--threads'");
    EXPECT_EQ(e.exit_code(), 2);
  }
  try {
    naming_flags("command_override", "--select", refuse("no job 'x'", 3));
    ADD_FAILURE();
  } catch (const CliError& e) {
    EXPECT_STREQ(e.what(), "no job 'x'") << "other errors pass unchanged";
    EXPECT_EQ(e.exit_code(), 3);
  }
  try {
    naming_flags("command", "", refuse("command: bad"));
    ADD_FAILURE();
  } catch (const CliError& e) {
    EXPECT_STREQ(e.what(), "command: bad") << "nothing typed: the field's name stays";
  }
  EXPECT_EQ(naming_flags("command", "--select", [] { return nlohmann::json{{"ok", true}}; }),
            (nlohmann::json{{"ok", true}}));
}

// --- SQLMesh commands (docs/sqlmesh.md, Commands) ---

using Words = std::vector<std::string>;

// What `line`'s flags append to `argv`; the CliError's message when they are refused.
std::string appended(const std::string& line, const Words& argv) {
  const auto p = parse(line);
  try {
    const auto out = p->flags.append_to(argv, &p->app, false);
    std::string joined;
    for (const auto& w : out) joined += (joined.empty() ? "" : " ") + w;
    return joined;
  } catch (const CliError& e) {
    return std::string("refused: ") + e.what();
  }
}

TEST(DbtFlags, SelectOnSqlmeshIsItsOwnSelection) {
  EXPECT_EQ(appended("--select bakery.daily_sales", {"sqlmesh", "run"}),
            "sqlmesh run --select-model bakery.daily_sales");
  EXPECT_EQ(appended("-s a -s b", {"sqlmesh", "plan", "--auto-apply"}),
            "sqlmesh plan --auto-apply --select-model a --select-model b");
  EXPECT_EQ(appended("--select t", {"sqlmesh", "test"}), "sqlmesh test --select-model t");
  EXPECT_EQ(appended("--select bakery.orders", {"sqlmesh", "audit"}), "sqlmesh audit --model bakery.orders");
  EXPECT_EQ(appended("", {"sqlmesh", "janitor"}), "sqlmesh janitor") << "nothing typed, nothing appended";
}

TEST(DbtFlags, TheSqlmeshSubcommandIsFoundAfterItsGlobalOptions) {
  EXPECT_EQ(appended("--select m", {"sqlmesh", "--gateway", "g", "plan", "--no-prompts"}),
            "sqlmesh --gateway g plan --no-prompts --select-model m");
  EXPECT_EQ(appended("--select m", {"sqlmesh", "--config", "audit", "--debug", "audit"}),
            "sqlmesh --config audit --debug audit --model m");
}

TEST(DbtFlags, SelectOnASqlmeshCommandThatSelectsNothingIsRefused) {
  const auto janitor = appended("--select m", {"sqlmesh", "janitor"});
  EXPECT_EQ(janitor.rfind("refused: --select: 'sqlmesh janitor'", 0), 0u) << janitor;
}

TEST(DbtFlags, DbtsOtherFlagsOnSqlmeshAreRefusedByName) {
  for (const std::string line : {"--vars '{a: 1}'", "--exclude x", "--selector s", "--target prod", "--threads 4",
                                 "--full-refresh"}) {
    const auto out = appended(line + " --select m", {"sqlmesh", "run"});
    const std::string flag = line.substr(0, line.find(' '));
    EXPECT_EQ(out.rfind("refused: " + flag + " is a dbt flag", 0), 0u) << line << ": " << out;
  }
  const auto p = parse("--command 'sqlmesh run' --vars x");
  EXPECT_THROW(built(*p, false), CliError);
}

// A job's --defer-to-last-success becomes dbt's --defer; SQLMesh has none, so it is refused
// rather than dropped (a trigger sends it as a field the daemon refuses).
TEST(DbtFlags, DeferToLastSuccessOnASqlmeshJobIsRefused) {
  const auto p = parse("--command 'sqlmesh run' --defer-to-last-success");
  try {
    built(*p, true);
    ADD_FAILURE() << "--defer-to-last-success was dropped from a SQLMesh job's command";
  } catch (const CliError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--defer-to-last-success is a dbt flag", 0), 0u) << e.what();
  }
  EXPECT_EQ(built(*p, false), "sqlmesh run") << "a trigger's is a field, refused by the daemon";
}

TEST(DbtFlags, ACommandTypedForSqlmeshTakesSelect) {
  const auto p = parse("--command 'sqlmesh run' --select bakery.daily_sales");
  EXPECT_EQ(built(*p, false), "sqlmesh run --select-model bakery.daily_sales");
}

TEST(DbtFlags, DbtCommandsAreUnchangedBySqlmeshsRules) {
  EXPECT_EQ(appended("--select a --vars x", {"dbt", "run"}), "dbt run --select a --vars x");
}

}  // namespace
