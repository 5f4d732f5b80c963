// Tests for common/sqlmesh_command and common/command: the SQLMesh grammar of
// docs/commands.md#sqlmesh, and the choice of grammar by project type.
#include "common/sqlmesh_command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/command.hpp"
#include "common/dbt_command.hpp"

namespace {

using dagctl::common::join_command_words;
using dagctl::common::split_command_words;
using dagctl::common::Trust;
using dagctl::common::validate_sqlmesh_command;
using Words = std::vector<std::string>;

struct Case {
  std::string label;
  std::string input;
  bool ok;
  Words words;                            // expected words when ok
  std::vector<std::string> must_contain;  // substrings of the error when !ok
};

Case accept(std::string label, std::string input, Words words) {
  return Case{std::move(label), std::move(input), true, std::move(words), {}};
}
Case reject(std::string label, std::string input, std::vector<std::string> must_contain) {
  return Case{std::move(label), std::move(input), false, {}, std::move(must_contain)};
}

void run_table(const std::vector<Case>& cases, Trust trust) {
  for (const Case& c : cases) {
    SCOPED_TRACE("case: " + c.label + (trust == Trust::owner ? " (owner)" : " (token)"));
    const auto r = validate_sqlmesh_command(c.input, "command_override", trust);
    if (c.ok) {
      ASSERT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(*r, c.words);
    } else {
      ASSERT_FALSE(r.ok()) << "accepted: " << join_command_words(*r);
      EXPECT_EQ(r.error().rfind("command_override: ", 0), 0u) << r.error();
      for (const auto& part : c.must_contain)
        EXPECT_NE(r.error().find(part), std::string::npos)
            << "error '" << r.error() << "' lacks '" << part << "'";
      for (char ch : r.error()) EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20) << r.error();
      EXPECT_LT(r.error().size(), 400u) << r.error();
    }
  }
}

void run_table(const std::vector<Case>& cases) {
  run_table(cases, Trust::token);
  run_table(cases, Trust::owner);
}

TEST(SqlmeshCommand, Subcommands) {
  run_table({
      accept("run", "sqlmesh run", {"sqlmesh", "run"}),
      accept("run in an environment", "sqlmesh run dev", {"sqlmesh", "run", "dev"}),
      accept("run with everything",
             "sqlmesh run Dev_2 --select-model a.b --select-model tag:x -s 2024-01-01 -e '1 week ago' "
             "--ignore-cron --skip-janitor --no-auto-upstream --exit-on-env-update 3",
             {"sqlmesh", "run", "Dev_2", "--select-model", "a.b", "--select-model", "tag:x", "-s",
              "2024-01-01", "-e", "1 week ago", "--ignore-cron", "--skip-janitor",
              "--no-auto-upstream", "--exit-on-env-update", "3"}),
      accept("environment after options", "sqlmesh run --start yesterday prod",
             {"sqlmesh", "run", "--start", "yesterday", "prod"}),
      accept("plan", "sqlmesh plan --auto-apply --no-prompts",
             {"sqlmesh", "plan", "--auto-apply", "--no-prompts"}),
      accept("plan with everything",
             "sqlmesh plan dev --no-prompts --auto-apply --select-model +m --backfill-model 'schema.*' "
             "-r m+ --restate-model x --forward-only --skip-backfill --dry-run --empty-backfill "
             "--start 2024-01-01T00:00:00 --end now --execution-time 2024-01-02 --skip-tests "
             "--test-changed-only --skip-linter --no-gaps --no-diff --run --ignore-cron "
             "--include-unmodified --create-from prod --effective-from 2024-01-01 --enable-preview "
             "--no-auto-categorization --allow-destructive-model a --allow-additive-model b "
             "--min-intervals 0 -v -vv --verbose --diff-rendered --explain",
             {"sqlmesh", "plan", "dev", "--no-prompts", "--auto-apply", "--select-model", "+m",
              "--backfill-model", "schema.*", "-r", "m+", "--restate-model", "x", "--forward-only",
              "--skip-backfill", "--dry-run", "--empty-backfill", "--start", "2024-01-01T00:00:00",
              "--end", "now", "--execution-time", "2024-01-02", "--skip-tests", "--test-changed-only",
              "--skip-linter", "--no-gaps", "--no-diff", "--run", "--ignore-cron",
              "--include-unmodified", "--create-from", "prod", "--effective-from", "2024-01-01",
              "--enable-preview", "--no-auto-categorization", "--allow-destructive-model", "a",
              "--allow-additive-model", "b", "--min-intervals", "0", "-v", "-vv", "--verbose",
              "--diff-rendered", "--explain"}),
      accept("audit", "sqlmesh audit --model a --model b -s 2024-01-01 -e 2024-01-02 --execution-time now",
             {"sqlmesh", "audit", "--model", "a", "--model", "b", "-s", "2024-01-01", "-e", "2024-01-02",
              "--execution-time", "now"}),
      accept("test", "sqlmesh test --select-model m -k test_a -k b -v --preserve-fixtures --local",
             {"sqlmesh", "test", "--select-model", "m", "-k", "test_a", "-k", "b", "-v",
              "--preserve-fixtures", "--local"}),
      accept("janitor", "sqlmesh janitor --ignore-ttl -e dev", {"sqlmesh", "janitor", "--ignore-ttl", "-e", "dev"}),
      accept("janitor --environment", "sqlmesh janitor --environment=dev",
             {"sqlmesh", "janitor", "--environment=dev"}),
      accept("global options", "sqlmesh --gateway local --config prod_config --ignore-warnings --log-to-stdout run",
             {"sqlmesh", "--gateway", "local", "--config", "prod_config", "--ignore-warnings",
              "--log-to-stdout", "run"}),
      accept("--flag=value everywhere", "sqlmesh --gateway=local run --select-model=a --start=2024-01-01",
             {"sqlmesh", "--gateway=local", "run", "--select-model=a", "--start=2024-01-01"}),
      accept("a value starting with '-' after =", "sqlmesh run --start=-1", {"sqlmesh", "run", "--start=-1"}),
      accept("selector with spaces inside quotes", "sqlmesh run --select-model 'tag:a'",
             {"sqlmesh", "run", "--select-model", "tag:a"}),
      accept("negation selector", "sqlmesh run --select-model '^tag:x'", {"sqlmesh", "run", "--select-model", "^tag:x"}),
      accept("non-ASCII selector", "sqlmesh run --select-model 'modèle_数据'",
             {"sqlmesh", "run", "--select-model", "modèle_数据"}),
      accept("git selector", "sqlmesh run --select-model git:main", {"sqlmesh", "run", "--select-model", "git:main"}),
  });
}

TEST(SqlmeshCommand, RefusedSubcommands) {
  run_table({
      reject("not sqlmesh", "dbt run", {"must start with 'sqlmesh'; got 'dbt'"}),
      reject("no subcommand", "sqlmesh", {"'sqlmesh' has no subcommand"}),
      reject("only globals", "sqlmesh --gateway x", {"'sqlmesh' has no subcommand"}),
      reject("ui", "sqlmesh ui", {"'sqlmesh ui' is not allowed: it starts a web server",
                                  "run, plan, audit, test, janitor"}),
      reject("fetchdf", "sqlmesh fetchdf 'select 1'", {"'sqlmesh fetchdf' is not allowed", "any SQL"}),
      reject("evaluate", "sqlmesh evaluate m", {"'sqlmesh evaluate' is not allowed"}),
      reject("render", "sqlmesh render m", {"'sqlmesh render' is not allowed"}),
      reject("init", "sqlmesh init duckdb", {"'sqlmesh init' is not allowed", "dagctl project add"}),
      reject("format", "sqlmesh format", {"rewrites the project's files"}),
      reject("destroy", "sqlmesh destroy", {"'sqlmesh destroy' is not allowed"}),
      reject("invalidate", "sqlmesh invalidate dev", {"'sqlmesh invalidate' is not allowed"}),
      reject("rollback", "sqlmesh rollback", {"'sqlmesh rollback' is not allowed"}),
      reject("migrate", "sqlmesh migrate", {"'sqlmesh migrate' is not allowed"}),
      reject("create_test", "sqlmesh create_test m", {"'sqlmesh create_test' is not allowed"}),
      reject("table_diff", "sqlmesh table_diff a:b", {"'sqlmesh table_diff' is not allowed"}),
      reject("dlt_refresh", "sqlmesh dlt_refresh p", {"'sqlmesh dlt_refresh' is not allowed"}),
      reject("state", "sqlmesh state export", {"'sqlmesh state' is not allowed"}),
      reject("lint", "sqlmesh lint", {"'sqlmesh lint' is not an allowed sqlmesh subcommand; use one of run, "
                                      "plan, audit, test, janitor"}),
      reject("info", "sqlmesh info", {"'sqlmesh info' is not an allowed sqlmesh subcommand"}),
      reject("case matters", "sqlmesh RUN", {"'sqlmesh RUN' is not an allowed"}),
  });
}

TEST(SqlmeshCommand, PlanNeedsNoPrompts) {
  run_table({
      reject("plan alone", "sqlmesh plan", {"'sqlmesh plan' needs both --auto-apply and --no-prompts",
                                            "no terminal", "add '--auto-apply --no-prompts'"}),
      reject("plan without --no-prompts", "sqlmesh plan dev --auto-apply", {"add '--no-prompts'"}),
      reject("plan without --auto-apply", "sqlmesh plan dev --no-prompts", {"add '--auto-apply'"}),
      reject("plan with a value on a switch", "sqlmesh plan --auto-apply=1 --no-prompts",
             {"'--auto-apply' takes no value"}),
  });
}

TEST(SqlmeshCommand, RefusedOptions) {
  run_table({
      reject("-p", "sqlmesh -p /etc run", {"'-p' names a path"}),
      reject("--paths", "sqlmesh --paths=/tmp run", {"'--paths' names a path"}),
      reject("--paths spelled otherwise", "sqlmesh --PATHS /tmp run", {"'--PATHS' names a path"}),
      reject("--log-file-dir", "sqlmesh --log-file-dir /tmp run", {"'--log-file-dir' names a path"}),
      reject("--dotenv", "sqlmesh --dotenv .env run", {"'--dotenv' names a path"}),
      reject("--dotenv as a value", "sqlmesh run -k --dotenv", {"'--dotenv' names a path"}),
      reject("--version", "sqlmesh --version", {"'--version' prints SQLMesh's version"}),
      reject("--help", "sqlmesh run --help", {"'--help' prints help"}),
      reject("unknown global", "sqlmesh --frob run", {"'--frob' is not an allowed global option"}),
      reject("subcommand option first", "sqlmesh --select-model a run",
             {"'--select-model' comes before the subcommand", "'sqlmesh run --select-model'"}),
      reject("global option after the subcommand", "sqlmesh run --gateway local",
             {"'--gateway' is an option of 'sqlmesh' itself", "'sqlmesh --gateway NAME run'"}),
      reject("global switch after the subcommand", "sqlmesh run --ignore-warnings",
             {"'sqlmesh --ignore-warnings run'"}),
      reject("option of another subcommand", "sqlmesh run --auto-apply",
             {"'sqlmesh run' does not take '--auto-apply' (dagctl accepts it for plan)"}),
      reject("--model on run", "sqlmesh run --model a", {"'sqlmesh run' does not take '--model'"}),
      reject("-k on plan", "sqlmesh plan --auto-apply --no-prompts -k x", {"'sqlmesh plan' does not take '-k'"}),
      reject("-v on run", "sqlmesh run -v", {"'sqlmesh run' does not take '-v'"}),
      reject("-vvv", "sqlmesh test -vvv", {"'-vvv' is not an allowed option", "one per word"}),
      reject("glued short value", "sqlmesh run -s2024-01-01", {"'-s2024-01-01'", "one per word"}),
      reject("unknown", "sqlmesh run --frobnicate", {"'--frobnicate' is not an allowed option",
                                                     "docs/commands.md#sqlmesh"}),
      reject("--sync of invalidate", "sqlmesh janitor --sync", {"'--sync' is not an allowed option"}),
      reject("end of options", "sqlmesh run -- x", {"'--' is not allowed"}),
      reject("end of options before the subcommand", "sqlmesh -- run", {"'--' is not allowed"}),
      reject("a lone dash", "sqlmesh run -", {"'-' is not an allowed option"}),
  });
}

TEST(SqlmeshCommand, Positionals) {
  run_table({
      reject("two environments", "sqlmesh run dev prod",
             {"'prod' is not an option or an option's value", "one environment name only",
              "'--select-model prod'"}),
      reject("bad environment", "sqlmesh run dev.x", {"'dev.x' is not an environment name"}),
      reject("long environment", "sqlmesh run " + std::string(65, 'e'), {"is not an environment name"}),
      reject("test paths", "sqlmesh test tests/test_full_model.yaml",
             {"'tests/test_full_model.yaml' is not allowed", "names files", "--select-model or -k"}),
      reject("test selector", "sqlmesh test tests/a.yaml::test_x", {"names files"}),
      reject("audit positional", "sqlmesh audit m", {"'m' is not an option", "'--model m'"}),
      reject("janitor positional", "sqlmesh janitor dev", {"'--environment dev'"}),
      reject("empty word", "sqlmesh run ''", {"an empty word"}),
  });
}

TEST(SqlmeshCommand, Values) {
  run_table({
      reject("missing value", "sqlmesh run --select-model", {"'--select-model' needs a value"}),
      reject("value is an option", "sqlmesh run --select-model --ignore-cron",
             {"the next word '--ignore-cron' starts with '-'", "'--select-model=--ignore-cron'"}),
      reject("empty value", "sqlmesh run --select-model=", {"'--select-model' has an empty value"}),
      reject("blank value", "sqlmesh run --select-model ' '", {"has an empty value"}),
      reject("-s given a model", "sqlmesh run -s my_model",
             {"'-s' of 'sqlmesh run' takes a time", "got 'my_model'", "'--select-model my_model'"}),
      reject("time with a dot", "sqlmesh run --start 2024.01.01", {"'--start' of 'sqlmesh run' takes a time"}),
      reject("long time", "sqlmesh run --start '" + std::string(65, '1') + "'", {"takes a time"}),
      reject("bad --create-from", "sqlmesh plan --auto-apply --no-prompts --create-from a/b",
             {"'--create-from' of 'sqlmesh plan' takes an environment name", "got 'a/b'"}),
      reject("bad --gateway", "sqlmesh --gateway a.b run", {"'--gateway' of 'sqlmesh' takes the name of a gateway"}),
      reject("--config path", "sqlmesh --config config.py run", {"'--config' of 'sqlmesh' takes the name of a "
                                                                 "config object", "not a path"}),
      reject("--config starting with a digit", "sqlmesh --config 1c run", {"not a path"}),
      reject("--min-intervals negative", "sqlmesh plan --auto-apply --no-prompts --min-intervals=-1",
             {"'--min-intervals' of 'sqlmesh plan' takes a whole number from 0 to 1000000"}),
      reject("--min-intervals too big", "sqlmesh plan --auto-apply --no-prompts --min-intervals 1000001",
             {"from 0 to 1000000"}),
      reject("--exit-on-env-update leading zero", "sqlmesh run --exit-on-env-update 01", {"whole number"}),
      reject("--exit-on-env-update huge", "sqlmesh run --exit-on-env-update 99999999999999999999",
             {"whole number"}),
      reject("git branch as an option", "sqlmesh run --select-model git:--output=x", {"git would read"}),
      reject("git branch in parentheses", "sqlmesh run --select-model 'GIT:( -x)'", {"git would read"}),
      reject("-e of janitor is an environment", "sqlmesh janitor -e 2024-01-01T00:00", {"environment name"}),
  });
  run_table({accept("the largest count", "sqlmesh run --exit-on-env-update 1000000",
                    {"sqlmesh", "run", "--exit-on-env-update", "1000000"})});
}

TEST(SqlmeshCommand, CharactersAndSizeLikeDbt) {
  std::string nul_command = "sqlmesh run";
  nul_command.push_back('\0');
  run_table({
      reject("empty", "", {"is empty; pass a sqlmesh command such as 'sqlmesh run'"}),
      reject("blank", "   ", {"is empty"}),
      reject("semicolon", "sqlmesh run; rm -rf /", {"the character ';' is not allowed",
                                                   "pass one sqlmesh command"}),
      reject("and expression", "sqlmesh run --select-model 'a & b'", {"the character '&' is not allowed"}),
      reject("or expression", "sqlmesh run --select-model 'a|b'", {"the character '|' is not allowed"}),
      reject("dollar", "sqlmesh run $ENV", {"'$'"}),
      reject("backtick", "sqlmesh run `x`", {"'`'"}),
      reject("redirection", "sqlmesh run > x", {"'>'"}),
      reject("backslash", "sqlmesh run d\\ev", {"'\\'"}),
      reject("newline", "sqlmesh run\nsqlmesh ui", {"a newline"}),
      reject("tab", "sqlmesh\trun", {"a tab"}),
      reject("NUL", nul_command, {"a NUL byte (at byte offset 11)"}),
      reject("invalid UTF-8", "sqlmesh run \xff", {"invalid UTF-8"}),
      reject("line separator", "sqlmesh run\xe2\x80\xa8x", {"the line separator U+2028"}),
      reject("no-break space", "sqlmesh\xc2\xa0run", {"the space-like character U+00A0"}),
      reject("zero width space", "sqlmesh run\xe2\x80\x8b", {"the invisible character U+200B"}),
      reject("bidi", "sqlmesh run \xe2\x80\xae" "dev", {"the bidirectional control character U+202E"}),
      reject("unterminated quote", "sqlmesh run 'dev", {"the single quote at byte offset 12 is never closed"}),
      reject("200 KB", "sqlmesh run " + std::string(200 * 1024, 'a'), {"bytes; the limit is 4096"}),
  });
}

TEST(SqlmeshCommand, OwnerOnly) {
  const auto token = validate_sqlmesh_command("sqlmesh --debug run", "command", Trust::token);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().find("command: '--debug' is for the socket owner only"), std::string::npos)
      << token.error();
  EXPECT_TRUE(validate_sqlmesh_command("sqlmesh --debug run", "command", Trust::owner).ok());

  const auto force = validate_sqlmesh_command("sqlmesh janitor --force-delete", "command", Trust::token);
  ASSERT_FALSE(force.ok());
  EXPECT_NE(force.error().find("'--force-delete' is for the socket owner only"), std::string::npos)
      << force.error();
  EXPECT_TRUE(validate_sqlmesh_command("sqlmesh janitor --force-delete", "command", Trust::owner).ok());
}

TEST(SqlmeshCommand, RoundTripThroughJoin) {
  for (const std::string& c :
       {std::string("sqlmesh --gateway=local run 'dev' --select-model 'tag:a b' -e '1 week ago'"),
        std::string("sqlmesh test -k \"it's\" --select-model 'x'\"'\"'y'"),
        std::string("sqlmesh plan --auto-apply --no-prompts --select-model '+m' -vv")}) {
    SCOPED_TRACE(c);
    const auto words = validate_sqlmesh_command(c);
    ASSERT_TRUE(words.ok()) << words.error();
    const std::string joined = join_command_words(*words);
    const auto again = validate_sqlmesh_command(joined);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(*again, *words);
    EXPECT_EQ(*split_command_words(joined), *words);
  }
}

TEST(Command, ByProjectType) {
  using dagctl::common::default_command;
  using dagctl::common::validate_command;
  EXPECT_EQ(default_command("dbt"), "dbt build");
  EXPECT_EQ(default_command("sqlmesh"), "sqlmesh run");
  EXPECT_EQ(default_command("other"), "");
  // The default commands pass their own grammar, and only theirs.
  EXPECT_TRUE(validate_command("dbt", default_command("dbt"), "command", Trust::token).ok());
  EXPECT_TRUE(validate_command("sqlmesh", default_command("sqlmesh"), "command", Trust::token).ok());
  const auto crossed = validate_command("sqlmesh", "dbt build", "command", Trust::owner);
  ASSERT_FALSE(crossed.ok());
  EXPECT_EQ(crossed.error(), "command: this is a SQLMesh project: its commands start with 'sqlmesh', not 'dbt'");
  const auto other_way = validate_command("dbt", "  sqlmesh run", "command_override", Trust::token);
  ASSERT_FALSE(other_way.ok());
  EXPECT_EQ(other_way.error(), "command_override: this is a dbt project: its commands start with 'dbt', not 'sqlmesh'");
  // Not the other tool's: the grammar's own message.
  EXPECT_EQ(validate_command("sqlmesh", "python x", "command", Trust::owner).error(),
            "command: must start with 'sqlmesh'; got 'python'");
  const auto unknown = validate_command("make", "make all", "command", Trust::owner);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("command: the project type 'make' has no command grammar"), std::string::npos);
}

// The shared refusals speak of the tool whose grammar asked: dbt's messages are unchanged.
TEST(Command, SharedRefusalsNameTheTool) {
  const auto dbt = dagctl::common::validate_dbt_command("dbt run; ls");
  ASSERT_FALSE(dbt.ok());
  EXPECT_NE(dbt.error().find("pass one dbt command"), std::string::npos) << dbt.error();
  const auto sqlmesh = validate_sqlmesh_command("sqlmesh run; ls");
  ASSERT_FALSE(sqlmesh.ok());
  EXPECT_NE(sqlmesh.error().find("pass one sqlmesh command"), std::string::npos) << sqlmesh.error();
}

}  // namespace
