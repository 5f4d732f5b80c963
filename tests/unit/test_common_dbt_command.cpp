// Tests for common/dbt_command: the grammar of docs/commands.md, splitting and display.
#include "common/dbt_command.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

using dagctl::common::join_command_words;
using dagctl::common::split_command_words;
using dagctl::common::Trust;
using dagctl::common::validate_dbt_command;
using Words = std::vector<std::string>;

struct Case {
  std::string label;
  std::string input;
  bool ok;
  Words words;                          // expected words when ok
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
    const auto r = validate_dbt_command(c.input, "command_override", trust);
    if (c.ok) {
      ASSERT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(*r, c.words);
    } else {
      ASSERT_FALSE(r.ok()) << "accepted: " << join_command_words(*r);
      EXPECT_EQ(r.error().rfind("command_override: ", 0), 0u) << r.error();
      for (const auto& part : c.must_contain)
        EXPECT_NE(r.error().find(part), std::string::npos)
            << "error '" << r.error() << "' lacks '" << part << "'";
      // One line, no control characters: messages go into JSON bodies and logs.
      for (char ch : r.error()) EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20) << r.error();
      // Never a wall of echoed input: at most ~80 bytes of it, plus our own words.
      EXPECT_LT(r.error().size(), 400u) << r.error();
    }
  }
}

// What holds for every caller is checked at both trust levels.
void run_table(const std::vector<Case>& cases) {
  run_table(cases, Trust::token);
  run_table(cases, Trust::owner);
}

TEST(DbtCommand, MetacharactersAnywhere) {
  std::vector<Case> cases;
  for (char m : std::string(";&|`$><\\")) {
    const std::string ch(1, m);
    const std::string named = "'" + ch + "'";
    cases.push_back(reject("alone " + ch, "dbt run " + ch, {named}));
    cases.push_back(reject("glued " + ch, "dbt run --select a" + ch + "b", {named}));
    cases.push_back(reject("in single quotes " + ch, "dbt run --select 'a" + ch + "b'", {named}));
    cases.push_back(reject("in double quotes " + ch, "dbt run --select \"a" + ch + "b\"", {named}));
    cases.push_back(reject("first word " + ch, ch + "dbt run", {named}));
  }
  cases.push_back(reject("semicolon message", "dbt run; rm -rf /",
                         {"the character ';' is not allowed (no shell runs here; pass one dbt "
                          "command)"}));
  cases.push_back(reject("command substitution", "dbt run --select $(whoami)", {"'$'"}));
  cases.push_back(reject("quoted substitution", "dbt run --select '$(whoami)'", {"'$'"}));
  cases.push_back(reject("backtick", "dbt run --select `id`", {"'`'"}));
  cases.push_back(reject("and-and", "dbt run && dbt test", {"'&'"}));
  cases.push_back(reject("pipe", "dbt ls | sh", {"'|'"}));
  cases.push_back(reject("redirect", "dbt ls > /etc/passwd", {"'>'"}));
  cases.push_back(reject("backslash escape", "dbt run --select a\\ b", {"'\\'"}));
  run_table(cases);
}

TEST(DbtCommand, ControlCharacters) {
  run_table({
      reject("newline", "dbt run\ndbt test", {"newline", "offset 7"}),
      reject("newline in quotes", "dbt run --select 'a\nb'", {"newline"}),
      reject("trailing newline", "dbt run\n", {"newline"}),
      reject("carriage return", "dbt run\r", {"carriage return"}),
      reject("tab separator", "dbt\trun", {"tab", "spaces"}),
      reject("tab in quotes", "dbt run --select 'a\tb'", {"tab"}),
      reject("NUL byte", std::string("dbt run\0 --select x", 19), {"NUL", "offset 7"}),
      reject("NUL in quotes", std::string("dbt run --select 'a\0b'", 22), {"NUL"}),
      reject("escape", "dbt run \x1b[31m", {"0x1B"}),
      reject("bell", "dbt run\x07", {"0x07"}),
      reject("DEL", "dbt run \x7f", {"0x7F"}),
      reject("vertical tab", "dbt run\v--debug", {"0x0B"}),
      reject("C1 NEL", "dbt run --select a\xc2\x85z", {"U+0085"}),
  });
}

TEST(DbtCommand, Quoting) {
  run_table({
      accept("plain", "dbt build --select my_model+", {"dbt", "build", "--select", "my_model+"}),
      accept("extra spaces", "  dbt   build   ", {"dbt", "build"}),
      accept("single quotes", "dbt run --select 'tag:a tag:b'",
             {"dbt", "run", "--select", "tag:a tag:b"}),
      accept("double quotes", "dbt run --vars \"{'k': 'v'}\"",
             {"dbt", "run", "--vars", "{'k': 'v'}"}),
      accept("double inside single", "dbt run --vars '{\"k\": 1}'",
             {"dbt", "run", "--vars", "{\"k\": 1}"}),
      accept("adjacent parts", "dbt run --select a'b'c\"d e\"f",
             {"dbt", "run", "--select", "abcd ef"}),
      accept("quoted dbt", "'dbt' \"build\"", {"dbt", "build"}),
      accept("quoted flag", "dbt run '--select' x", {"dbt", "run", "--select", "x"}),
      accept("glob stays literal", "dbt ls --select 'path:models/*'",
             {"dbt", "ls", "--select", "path:models/*"}),
      reject("empty quotes as a value", "dbt run --vars ''", {"'--vars' has an empty value"}),
      reject("empty double quotes as a word", "dbt run \"\" x", {"an empty word"}),
      reject("unterminated single", "dbt run --select 'abc", {"single quote", "offset 17",
                                                              "never closed"}),
      reject("unterminated double", "dbt run --select \"abc", {"double quote", "never closed"}),
      reject("lone quote", "dbt run '", {"never closed"}),
  });
}

TEST(DbtCommand, Unicode) {
  run_table({
      accept("non-ASCII selector", "dbt run --select 'modèle_数据'",
             {"dbt", "run", "--select", "modèle_数据"}),
      accept("unquoted non-ASCII", "dbt run --select modèle_数据",
             {"dbt", "run", "--select", "modèle_数据"}),
      accept("4-byte emoji", "dbt run --select \xf0\x9f\x98\x80",
             {"dbt", "run", "--select", "\xf0\x9f\x98\x80"}),
      accept("just below the refused ranges", "dbt run --select a\xe2\x80\x90" "b",  // U+2010
             {"dbt", "run", "--select", "a\xe2\x80\x90" "b"}),
      reject("lone continuation", "dbt run --select \x80", {"invalid UTF-8", "offset 17"}),
      reject("latin-1 byte", "dbt run --select mod\xe8le", {"invalid UTF-8"}),
      reject("truncated at end", "dbt run --select \xe6\x95", {"invalid UTF-8"}),
      reject("overlong slash", "dbt run --select \xc0\xaf", {"invalid UTF-8"}),
      reject("overlong 3-byte", "dbt run \xe0\x80\xbb", {"invalid UTF-8"}),
      reject("surrogate", "dbt run \xed\xa0\x80", {"invalid UTF-8"}),
      reject("above U+10FFFF", "dbt run \xf4\x90\x80\x80", {"invalid UTF-8"}),
      reject("0xFF", "dbt run \xff", {"invalid UTF-8"}),
      reject("in quotes", "dbt run '\xfe'", {"invalid UTF-8"}),
  });
}

// Encodes one code point as UTF-8.
std::string utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

TEST(DbtCommand, InvisibleAndLookAlikeCharacters) {
  struct Group {
    std::string kind;
    std::vector<char32_t> code_points;
  };
  const std::vector<Group> groups = {
      {"line separator", {0x2028}},
      {"paragraph separator", {0x2029}},
      {"space-like", {0x00A0, 0x1680, 0x2000, 0x2005, 0x200A, 0x202F, 0x205F, 0x3000}},
      {"bidirectional control", {0x061C, 0x200E, 0x200F, 0x202A, 0x202C, 0x202E, 0x2066, 0x2069}},
      {"invisible", {0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0x2062, 0x2064, 0xFEFF, 0xFFF9,
                     0xE0001, 0xE0041, 0xE007F}},
  };
  std::vector<Case> cases;
  for (const auto& g : groups) {
    for (char32_t cp : g.code_points) {
      char name[16];
      std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
      const std::string ch = utf8(cp);
      // "dbt run --select a" is 18 bytes: the character starts at offset 18.
      cases.push_back(reject(std::string(name) + " in a word", "dbt run --select a" + ch + "b",
                             {g.kind, name, "(at byte offset 18)"}));
      cases.push_back(reject(std::string(name) + " in quotes", "dbt run --select 'x" + ch + "'",
                             {g.kind, name, "(at byte offset 19)"}));
      cases.push_back(reject(std::string(name) + " first", ch + "dbt run",
                             {g.kind, name, "(at byte offset 0)"}));
    }
  }
  run_table(cases);
}

TEST(DbtCommand, EmptyAndSize) {
  const std::string base = "dbt run --select ";
  const std::string exact = base + std::string(4096 - base.size(), 'a');
  const std::string over = exact + "a";
  ASSERT_EQ(exact.size(), 4096u);
  std::string exact_unicode = base + std::string(4096 - base.size() - 3, 'a') + "数";
  ASSERT_EQ(exact_unicode.size(), 4096u);
  run_table({
      reject("empty", "", {"is empty", "'dbt build --select my_model+'"}),
      reject("spaces", "    ", {"is empty"}),
      reject("whitespace mix", " \t\n ", {"is empty"}),
      accept("exactly 4096", exact, {"dbt", "run", "--select", std::string(4096 - base.size(), 'a')}),
      accept("exactly 4096 with multibyte end", exact_unicode,
             {"dbt", "run", "--select", std::string(4096 - base.size() - 3, 'a') + "数"}),
      reject("4097", over, {"is 4097 bytes; the limit is 4096"}),
      reject("way over", std::string(5000, ' '), {"is 5000 bytes; the limit is 4096"}),
  });
}

TEST(DbtCommand, PathFlagsAreRefusedForEveryone) {
  std::vector<Case> cases;
  for (std::string flag : {"--project-dir", "--profiles-dir", "--target-path", "--log-path",
                           "--packages-install-path", "--partial-parse-file-path",
                           "--record-timing-info", "-r"}) {
    const std::string named = "'" + flag + "' names a path";
    cases.push_back(reject(flag + " spaced", "dbt run " + flag + " /tmp", {named}));
    cases.push_back(reject(flag + " equals", "dbt run " + flag + "=/tmp", {named}));
    cases.push_back(reject(flag + " equals empty", "dbt run " + flag + "=", {named}));
    cases.push_back(reject(flag + " quoted", "dbt run '" + flag + "=/a b'", {named}));
    cases.push_back(reject(flag + " before subcommand", "dbt " + flag + " /tmp run", {named}));
    cases.push_back(reject(flag + " at end", "dbt build --select x " + flag, {named}));
  }
  for (std::string flag : {"--state", "--defer-state", "--deprecated-state"}) {
    cases.push_back(reject(flag, "dbt build --defer " + flag + " prod-artifacts",
                           {"'" + flag + "' cannot be set", "with --defer"}));
    cases.push_back(reject(flag + " equals", "dbt build " + flag + "=x", {"'" + flag + "'"}));
  }
  cases.push_back(reject("split by quotes", "dbt run --pro'files-dir' /tmp", {"'--profiles-dir'"}));
  cases.push_back(reject("underscore spelling", "dbt run --profiles_dir /tmp", {"'--profiles_dir'",
                                                                                "names a path"}));
  cases.push_back(reject("upper case", "dbt run --PROJECT-DIR=/x", {"'--PROJECT-DIR'"}));
  cases.push_back(reject("as a value", "dbt run --select --project-dir", {"'--project-dir'"}));
  // The issue's exploits: writing a file anywhere, and packages from any folder.
  cases.push_back(reject("freshness --output", "dbt source freshness --output /home/u/.bashrc",
                         {"'--output' of 'dbt source freshness' names a path", "sources.json"}));
  cases.push_back(reject("freshness -o", "dbt source freshness -o /tmp/x", {"'-o'", "names a path"}));
  cases.push_back(reject("freshness --output=", "dbt source freshness --output=/tmp/x",
                         {"'--output'", "names a path"}));
  cases.push_back(reject("deps --add-package", "dbt deps --add-package /tmp/evil --source local",
                         {"'--add-package' edits the project's packages.yml"}));
  cases.push_back(reject("deps --source", "dbt deps --source local", {"'--source'", "packages.yml"}));
  // Files the daemon reads to follow the run.
  for (std::string flag : {"--log-format-file text", "--log-level-file none", "--no-write-json",
                           "--log-file-max-bytes 1"}) {
    cases.push_back(reject(flag, "dbt build " + flag, {"the daemon reads"}));
  }
  cases.push_back(reject("telemetry", "dbt build --send-anonymous-usage-stats", {"off this machine"}));
  cases.push_back(reject("debugger", "dbt build --macro-debugging", {"interactive debugger"}));
  // Similar-looking but different words stay allowed.
  cases.push_back(accept("--target", "dbt run --target prod", {"dbt", "run", "--target", "prod"}));
  cases.push_back(accept("flag-like text inside a value", "dbt run --select=--log-paths",
                         {"dbt", "run", "--select=--log-paths"}));
  cases.push_back(accept("a path-like selector", "dbt run --select path:models/staging",
                         {"dbt", "run", "--select", "path:models/staging"}));
  run_table(cases);
}

TEST(DbtCommand, Subcommands) {
  std::vector<Case> cases;
  for (std::string sub : {"build", "run", "test", "seed", "snapshot", "compile", "ls", "list",
                          "parse", "retry", "show", "clone"}) {
    cases.push_back(accept(sub, "dbt " + sub, {"dbt", sub}));
    cases.push_back(accept(sub + " with flags", "dbt " + sub + " --debug --target prod",
                           {"dbt", sub, "--debug", "--target", "prod"}));
  }
  cases.push_back(accept("source freshness", "dbt source freshness", {"dbt", "source", "freshness"}));
  cases.push_back(accept("source freshness args", "dbt source freshness --select source:raw",
                         {"dbt", "source", "freshness", "--select", "source:raw"}));
  cases.push_back(reject("source foo", "dbt source foo", {"'dbt source foo'", "'dbt source freshness'"}));
  cases.push_back(reject("source alone", "dbt source", {"'dbt source' needs 'freshness'"}));
  cases.push_back(reject("source snapshot-freshness", "dbt source snapshot-freshness",
                         {"'dbt source snapshot-freshness' is not allowed"}));
  cases.push_back(reject("flag between group and action", "dbt source --debug freshness",
                         {"'dbt source --debug'"}));
  cases.push_back(accept("docs generate", "dbt docs generate", {"dbt", "docs", "generate"}));
  cases.push_back(accept("docs generate args", "dbt docs generate --no-compile",
                         {"dbt", "docs", "generate", "--no-compile"}));
  cases.push_back(reject("docs serve", "dbt docs serve",
                         {"'dbt docs serve' is not allowed (it starts a web server", "'dbt docs generate'"}));
  cases.push_back(reject("docs alone", "dbt docs", {"'dbt docs' needs 'generate'"}));
  cases.push_back(reject("unknown", "dbt rm", {"'dbt rm' is not an allowed dbt subcommand",
                                               "build, run, test"}));
  cases.push_back(reject("init", "dbt init", {"'dbt init' is not allowed: it creates a new project"}));
  cases.push_back(reject("init with a name", "dbt init evil", {"'dbt init'"}));
  cases.push_back(reject("clean", "dbt clean", {"'dbt clean' is not allowed: it deletes"}));
  // dbt debug is the project's own check; only its path-naming flags are refused.
  cases.push_back(accept("debug", "dbt debug", {"dbt", "debug"}));
  cases.push_back(accept("debug with flags", "dbt debug --connection --target prod --vars '{a: 1}'",
                         {"dbt", "debug", "--connection", "--target", "prod", "--vars", "{a: 1}"}));
  cases.push_back(reject("debug --config-dir", "dbt debug --config-dir", {"'--config-dir' is not an allowed flag"}));
  cases.push_back(reject("debug --project-dir", "dbt debug --project-dir /tmp", {"'--project-dir' names a path"}));
  cases.push_back(reject("debug --profiles-dir", "dbt debug --profiles-dir=/etc", {"'--profiles-dir' names a path"}));
  cases.push_back(reject("debug --threads", "dbt debug --threads 4", {"'dbt debug' does not take '--threads'"}));
  for (const char* n : {"0", "1025", "99999999999", "x", "1.5", "04"}) {
    cases.push_back(reject(std::string("--threads ") + n, std::string("dbt run --threads ") + n,
                           {"'--threads' takes a whole number from 1 to 1024"}));
  }
  cases.push_back(accept("--threads 1024", "dbt run --threads 1024", {"dbt", "run", "--threads", "1024"}));
  cases.push_back(reject("debug --select", "dbt debug --select x", {"'dbt debug' does not take '--select'"}));
  cases.push_back(reject("--connection elsewhere", "dbt run --connection", {"'dbt run' does not take '--connection'"}));
  cases.push_back(reject("case matters", "dbt BUILD", {"'dbt BUILD'"}));
  cases.push_back(reject("empty subcommand", "dbt '' build", {"'dbt '"}));
  cases.push_back(reject("dbt alone", "dbt", {"'dbt' has no subcommand"}));
  cases.push_back(reject("dbt and spaces", "  dbt  ", {"'dbt' has no subcommand"}));
  cases.push_back(reject("global flag first", "dbt --debug build",
                         {"'--debug' comes before the subcommand", "'dbt build --debug'"}));
  cases.push_back(reject("global flag with value first", "dbt --target prod run --select x",
                         {"'--target'", "'dbt run --target prod --select x'"}));
  cases.push_back(reject("flag only", "dbt --version", {"'--version'", "'dbt build --version'"}));
  run_table(cases);
}

TEST(DbtCommand, OwnerOnlySubcommands) {
  run_table(
      {
          reject("run-operation", "dbt run-operation my_macro",
                 {"'dbt run-operation' is for the socket owner only", "any SQL"}),
          reject("run_query through run-operation",
                 "dbt run-operation run_query --args '{sql: \"select 1\"}'",
                 {"'dbt run-operation' is for the socket owner only"}),
          reject("deps", "dbt deps", {"'dbt deps' is for the socket owner only"}),
          reject("deps --upgrade", "dbt deps --upgrade", {"'dbt deps' is for the socket owner only"}),
          reject("unknown subcommand lists the token's", "dbt rm", {"clone, show"}),
      },
      Trust::token);
  run_table(
      {
          accept("run-operation", "dbt run-operation my_macro", {"dbt", "run-operation", "my_macro"}),
          accept("run-operation with args", "dbt run-operation shop.grant --args '{role: r}' --target prod",
                 {"dbt", "run-operation", "shop.grant", "--args", "{role: r}", "--target", "prod"}),
          accept("flags before the macro", "dbt run-operation --args '{}' m",
                 {"dbt", "run-operation", "--args", "{}", "m"}),
          reject("run-operation without a macro", "dbt run-operation",
                 {"'dbt run-operation' needs the name of the macro"}),
          reject("run-operation with only flags", "dbt run-operation --args '{}'",
                 {"needs the name of the macro"}),
          reject("two macros", "dbt run-operation a b", {"'b'", "one macro name only"}),
          reject("a macro name that is no name", "dbt run-operation 'a b'", {"'a b' is not a macro name"}),
          reject("--args elsewhere", "dbt run --args '{}'", {"'dbt run' does not take '--args'"}),
          accept("deps", "dbt deps", {"dbt", "deps"}),
          accept("deps --upgrade --lock", "dbt deps --upgrade --lock", {"dbt", "deps", "--upgrade", "--lock"}),
          reject("deps --select", "dbt deps --select x", {"'dbt deps' does not take '--select'"}),
          reject("unknown subcommand lists the owner's", "dbt rm", {"run-operation, deps"}),
      },
      Trust::owner);
}

TEST(DbtCommand, OwnerOnlyFlags) {
  const std::string inline_sql = "dbt show --inline \"select content from read_text('/etc/hostname')\"";
  const std::string inline_jinja = "dbt show --inline '{{ run_query(\"select 1\") }}'";
  run_table(
      {
          reject("show --inline", inline_sql, {"'--inline' is for the socket owner only",
                                               "SQL and Jinja written by the caller"}),
          reject("show --inline Jinja", inline_jinja, {"'--inline'"}),
          reject("show --inline=", "dbt show --inline='select 1'", {"'--inline' is for the socket owner"}),
          reject("show --inline-direct", "dbt show --inline-direct 'select 1'", {"'--inline-direct'"}),
          reject("compile --inline", "dbt compile --inline 'select 1'", {"'--inline'"}),
          reject("--profile", "dbt build --profile other", {"'--profile' is for the socket owner",
                                                            "profiles.yml"}),
      },
      Trust::token);
  run_table(
      {
          accept("show --inline", inline_sql,
                 {"dbt", "show", "--inline", "select content from read_text('/etc/hostname')"}),
          accept("compile --inline=", "dbt compile --inline='select 1'",
                 {"dbt", "compile", "--inline=select 1"}),
          accept("--profile", "dbt build --profile other", {"dbt", "build", "--profile", "other"}),
          reject("--inline is not a run flag", "dbt run --inline x", {"'dbt run' does not take '--inline'"}),
      },
      Trust::owner);
}

// Every allowed flag class, per subcommand, as the next word and as --flag=value.
TEST(DbtCommand, AllowedFlags) {
  run_table({
      accept("build, everything",
             "dbt build --select a --exclude b --selector s --resource-type model "
             "--exclude-resource-type test --vars '{k: 1}' --full-refresh --target prod --threads 4 "
             "--fail-fast --defer --favor-state --indirect-selection cautious --empty "
             "--event-time-start 2024-01-01 --event-time-end 2024-02-01 --store-failures "
             "--warn-error --warn-error-options '{error: all}' --no-partial-parse --quiet --debug "
             "--show --sample 3d --no-print",
             {"dbt", "build", "--select", "a", "--exclude", "b", "--selector", "s",
              "--resource-type", "model", "--exclude-resource-type", "test", "--vars", "{k: 1}",
              "--full-refresh", "--target", "prod", "--threads", "4", "--fail-fast", "--defer",
              "--favor-state", "--indirect-selection", "cautious", "--empty", "--event-time-start",
              "2024-01-01", "--event-time-end", "2024-02-01", "--store-failures", "--warn-error",
              "--warn-error-options", "{error: all}", "--no-partial-parse", "--quiet", "--debug",
              "--show", "--sample", "3d", "--no-print"}),
      accept("short forms", "dbt run -s a -t prod -x -q -d -f -m b",
             {"dbt", "run", "-s", "a", "-t", "prod", "-x", "-q", "-d", "-f", "-m", "b"}),
      accept("equals forms", "dbt run --select=a --target=prod --threads=4 --vars={k:1} --exclude=c",
             {"dbt", "run", "--select=a", "--target=prod", "--threads=4", "--vars={k:1}",
              "--exclude=c"}),
      accept("negations", "dbt test --no-defer --no-favor-state --no-fail-fast --no-quiet --no-debug",
             {"dbt", "test", "--no-defer", "--no-favor-state", "--no-fail-fast", "--no-quiet",
              "--no-debug"}),
      accept("several selectors after one --select", "dbt run --select a b c -x --exclude d e --fail-fast",
             {"dbt", "run", "--select", "a", "b", "c", "-x", "--exclude", "d", "e", "--fail-fast"}),
      accept("--models aliases", "dbt run --models a --model b", {"dbt", "run", "--models", "a", "--model", "b"}),
      accept("ls output format", "dbt ls --output json --output-keys name resource_type --resource-types model",
             {"dbt", "ls", "--output", "json", "--output-keys", "name", "resource_type",
              "--resource-types", "model"}),
      accept("list output=path", "dbt list --output=path", {"dbt", "list", "--output=path"}),
      accept("show", "dbt show --select a --limit 5 --output json --introspect",
             {"dbt", "show", "--select", "a", "--limit", "5", "--output", "json", "--introspect"}),
      accept("compile", "dbt compile --select a --output text --no-introspect --inject-ephemeral-ctes",
             {"dbt", "compile", "--select", "a", "--output", "text", "--no-introspect",
              "--inject-ephemeral-ctes"}),
      accept("source freshness", "dbt source freshness --select source:raw --threads 2 --exclude source:x",
             {"dbt", "source", "freshness", "--select", "source:raw", "--threads", "2", "--exclude",
              "source:x"}),
      accept("docs generate", "dbt docs generate --no-compile --static --empty-catalog --select a",
             {"dbt", "docs", "generate", "--no-compile", "--static", "--empty-catalog", "--select", "a"}),
      accept("retry", "dbt retry --threads 2 --vars '{}' --full-refresh",
             {"dbt", "retry", "--threads", "2", "--vars", "{}", "--full-refresh"}),
      accept("seed", "dbt seed --show --full-refresh --select books", {"dbt", "seed", "--show",
                                                                        "--full-refresh", "--select", "books"}),
      accept("snapshot", "dbt snapshot --select s --empty", {"dbt", "snapshot", "--select", "s", "--empty"}),
      accept("clone", "dbt clone --select a --full-refresh --resource-type model --defer",
             {"dbt", "clone", "--select", "a", "--full-refresh", "--resource-type", "model", "--defer"}),
      accept("parse", "dbt parse --vars '{}' --threads 1", {"dbt", "parse", "--vars", "{}", "--threads", "1"}),
      accept("closing braces in --vars", "dbt build --vars '{a: {b: 1}}'",
             {"dbt", "build", "--vars", "{a: {b: 1}}"}),
      accept("a value of '-' inside --flag=value", "dbt run --vars=-x", {"dbt", "run", "--vars=-x"}),
  });
}

// Flags dbt accepts for some subcommands only, and flags nobody allowed.
TEST(DbtCommand, RefusedFlags) {
  run_table({
      reject("--limit on run", "dbt run --limit 5", {"'dbt run' does not take '--limit'"}),
      reject("--threads on ls", "dbt ls --threads 2", {"'dbt ls' does not take '--threads'"}),
      reject("--select on retry", "dbt retry --select a", {"'dbt retry' does not take '--select'"}),
      reject("--select on parse", "dbt parse --select a", {"'dbt parse' does not take '--select'"}),
      reject("--full-refresh on test", "dbt test --full-refresh", {"'dbt test' does not take"}),
      reject("--output on run", "dbt run --output json", {"'dbt run' does not take '--output'"}),
      reject("--empty on test", "dbt test --empty", {"'dbt test' does not take '--empty'"}),
      reject("unknown long flag", "dbt run --frobnicate", {"'--frobnicate' is not an allowed flag",
                                                          "docs/commands.md"}),
      reject("unknown with value", "dbt run --frobnicate=1", {"'--frobnicate' is not an allowed flag"}),
      reject("--version", "dbt build --version", {"'--version' is not an allowed flag"}),
      reject("-v", "dbt build -v", {"'-v' is not an allowed flag"}),
      reject("--log-format", "dbt build --log-format json", {"'--log-format' is not an allowed flag"}),
      reject("--use-colors", "dbt build --use-colors", {"'--use-colors'"}),
      reject("upper case is another flag", "dbt build --SELECT a", {"'--SELECT' is not an allowed flag"}),
      reject("underscore is another flag", "dbt build --full_refresh", {"'--full_refresh'"}),
      reject("short flags clustered", "dbt run -xq", {"'-xq' is not an allowed flag", "one per word"}),
      reject("short flag with a glued value", "dbt run -tprod", {"'-tprod'", "one per word"}),
      reject("short flag with =", "dbt run -s=a", {"'-s=a'"}),
      reject("a lone dash", "dbt run -", {"'-' is not an allowed flag"}),
      reject("end of flags", "dbt run -- --project-dir", {"'--project-dir' names a path"}),
      reject("end of flags alone", "dbt run -- x", {"'--' is not allowed"}),
  });
}

TEST(DbtCommand, FlagValues) {
  run_table({
      reject("missing value at the end", "dbt run --select", {"'--select' needs a value"}),
      reject("missing short value", "dbt run -t", {"'-t' needs a value"}),
      reject("a flag where a value belongs", "dbt run --select --full-refresh",
             {"'--select' needs a value, but the next word '--full-refresh' starts with '-'",
              "'--select=--full-refresh'"}),
      reject("a short flag where a value belongs", "dbt run --target -x", {"'--target' needs a value"}),
      reject("a negative number as the next word", "dbt run --threads -1", {"'--threads=-1'"}),
      reject("empty value", "dbt run --select ''", {"'--select' has an empty value"}),
      reject("empty value after =", "dbt run --select=", {"'--select' has an empty value"}),
      reject("blank value", "dbt run --select ' '", {"'--select' has an empty value"}),
      reject("empty --exclude", "dbt build --exclude \"\"", {"'--exclude' has an empty value"}),
      reject("empty --vars", "dbt run --vars=''", {"'--vars' has an empty value"}),
      reject("empty later value of --select", "dbt run --select a ''", {"'--select' has an empty value"}),
      reject("empty --target", "dbt run -t ''", {"'-t' has an empty value"}),
      reject("a switch with a value", "dbt run --full-refresh=true", {"'--full-refresh' takes no value"}),
      reject("a negation with a value", "dbt run --no-defer=1", {"'--no-defer' takes no value"}),
      reject("a short flag swallowed by --exclude", "dbt run --exclude a -x",
             {"'-x' after '--exclude' would be read by dbt as one more of its values"}),
      reject("swallowed by --resource-type", "dbt build --resource-type model -t prod", {"'-t' after"}),
      accept("a short flag after --select ends it", "dbt run --select a -x", {"dbt", "run", "--select", "a", "-x"}),
      accept("a long flag after --exclude ends it", "dbt run --exclude a --fail-fast",
             {"dbt", "run", "--exclude", "a", "--fail-fast"}),
      reject("a stray word", "dbt run my_model", {"'my_model' is not a flag or a flag's value",
                                                  "takes no other words", "'--select my_model'"}),
      reject("a stray word after a one-value flag", "dbt run --target prod extra",
             {"'extra' is not a flag or a flag's value"}),
      reject("a stray word without --select hint", "dbt parse x", {"'dbt parse' takes no other words"}),
      reject("ls --output is a format, not a file", "dbt ls --output /tmp/x",
             {"'--output' of 'dbt ls' takes one of json, name, path, selector; got '/tmp/x'"}),
      reject("show --output", "dbt show --output name", {"takes one of json, text"}),
      reject("--indirect-selection choice", "dbt build --indirect-selection everything",
             {"takes one of eager, cautious, buildable, empty"}),
  });
}

// dbt renders every string var as a Jinja template when a model reads it, so Jinja in --vars
// is code: the owner's only.
TEST(DbtCommand, JinjaInVars) {
  const std::string env = "dbt build --vars '{x: \"{{ env_var(HOME) }}\"}'";
  run_table(
      {
          reject("{{ in --vars", env, {"'--vars' holds Jinja ('{{')", "renders string vars as templates"}),
          reject("{% in --vars", "dbt build --vars '{x: \"{% do run_query(q) %}\"}'", {"('{%')"}),
          reject("{# in --vars", "dbt build --vars '{x: \"{# c #}\"}'", {"('{#')"}),
          reject("nested", "dbt build --vars '{a: {b: \"{{ x }}\"}}'", {"'--vars' holds Jinja"}),
          reject("--vars=", "dbt build --vars='{x: {{y}}}'", {"'--vars' holds Jinja"}),
          reject("in a job command too", "dbt run --vars '{{ x }}'", {"holds Jinja"}),
      },
      Trust::token);
  run_table(
      {
          accept("{{ in --vars", env, {"dbt", "build", "--vars", "{x: \"{{ env_var(HOME) }}\"}"}),
          accept("{% in --vars", "dbt build --vars '{x: \"{% if 1 %}y{% endif %}\"}'",
                 {"dbt", "build", "--vars", "{x: \"{% if 1 %}y{% endif %}\"}"}),
      },
      Trust::owner);
}

TEST(DbtCommand, MessagesQuoteLittleOfTheInput) {
  const std::string huge(3000, 'z');
  for (const std::string& cmd :
       {"dbt run --" + huge, "dbt run " + huge, "dbt ls --output " + huge, "dbt run --threads -" + huge,
        "dbt " + huge, "dbt run -" + huge, "dbt show --limit=1 -" + huge}) {
    for (Trust trust : {Trust::token, Trust::owner}) {
      const auto r = validate_dbt_command(cmd, "command_override", trust);
      ASSERT_FALSE(r.ok());
      EXPECT_LT(r.error().size(), 400u) << r.error();
      EXPECT_NE(r.error().find("..."), std::string::npos) << r.error();
    }
  }
}

TEST(DbtCommand, FirstWord) {
  run_table({
      reject("python", "python x", {"must start with 'dbt'; got 'python'"}),
      reject("dbtx", "dbtx build", {"got 'dbtx'"}),
      reject("absolute path", "/usr/bin/dbt build", {"got '/usr/bin/dbt'"}),
      reject("relative path", "./dbt build", {"got './dbt'"}),
      reject("upper case", "DBT build", {"got 'DBT'"}),
      reject("env prefix", "FOO=1 dbt build", {"got 'FOO=1'"}),
      reject("empty first word", "'' dbt build", {"got ''"}),
      reject("long word is truncated", "x" + std::string(500, 'y'), {"got 'xyyy", "...'"}),
  });
  // The truncated word keeps the message short.
  const auto r = validate_dbt_command("x" + std::string(500, 'y'));
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.error().size(), 200u);
}

TEST(DbtCommand, WhatPrefix) {
  const auto r = validate_dbt_command("python", "command");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "command: must start with 'dbt'; got 'python'");
  const auto r2 = validate_dbt_command("");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error(),
            "command_override: is empty; pass a dbt command such as 'dbt build --select my_model+'");
}

TEST(DbtCommand, SplitWords) {
  EXPECT_EQ(*split_command_words(""), Words{});
  EXPECT_EQ(*split_command_words("   "), Words{});
  EXPECT_EQ(*split_command_words("a b\tc\nd"), (Words{"a", "b", "c", "d"}));
  EXPECT_EQ(*split_command_words("a'b'c"), Words{"abc"});
  EXPECT_EQ(*split_command_words("''"), Words{""});
  EXPECT_EQ(*split_command_words("'' ''"), (Words{"", ""}));
  EXPECT_EQ(*split_command_words("\"it's\" 'say \"hi\"'"), (Words{"it's", "say \"hi\""}));
  // No escapes and no expansion: validate_dbt_command rejects these before splitting.
  EXPECT_EQ(*split_command_words("\"a\\\" $x"), (Words{"a\\", "$x"}));
  const auto bad = split_command_words("a 'b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("offset 2"), std::string::npos) << bad.error();
}

TEST(DbtCommand, JoinWords) {
  EXPECT_EQ(join_command_words({}), "");
  EXPECT_EQ(join_command_words({"dbt", "build", "--select", "my_model+"}),
            "dbt build --select my_model+");
  EXPECT_EQ(join_command_words({"dbt", "run", "--select", "a b"}), "dbt run --select 'a b'");
  EXPECT_EQ(join_command_words({"dbt", "run", "--vars", ""}), "dbt run --vars ''");
  EXPECT_EQ(join_command_words({"it's"}), "\"it's\"");
  EXPECT_EQ(join_command_words({"path:models/*"}), "'path:models/*'");
  EXPECT_EQ(join_command_words({"modèle_数据"}), "modèle_数据");
  EXPECT_EQ(join_command_words({"{\"k\": 1}"}), "'{\"k\": 1}'");
}

TEST(DbtCommand, JoinRoundTrip) {
  const std::vector<Words> samples = {
      {"dbt", "build"},
      {"dbt", "run", "--select", "tag:a tag:b", "--vars", "{\"k\": \"v\"}"},
      {"dbt", "run", "--vars", ""},
      {"", "", ""},
      {"it's", "a'b'c", "'", "''", "'leading", "trailing'"},
      {"both ' and \"", "\"'\"", "'\"'", "x'\"y'\"z"},
      {"modèle_数据", "a\xc2\xa0" "b", "*", "?", "~", "#", "!", "(x)", "{a,b}", "[0]"},
      {"tab\there", "new\nline", "back\\slash", "$HOME", "a;b", "a|b"},
  };
  for (const Words& w : samples) {
    const std::string joined = join_command_words(w);
    SCOPED_TRACE(joined);
    const auto back = split_command_words(joined);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, w);
  }
}

TEST(DbtCommand, ValidateJoinRoundTrip) {
  // What validation accepts, displayed and validated again, gives the same words.
  for (const char* cmd : {"dbt build --select my_model+", "dbt run --select 'a b' --vars '{}'",
                          "dbt run --vars \"{'k': 'v'}\"", "dbt ls --select 'modèle_数据'",
                          "dbt source freshness", "dbt run-operation m --args '{\"x\": 1}'",
                          "dbt show --inline \"select 'it''s'\""}) {
    SCOPED_TRACE(cmd);
    const auto first = validate_dbt_command(cmd, "command", Trust::owner);
    ASSERT_TRUE(first.ok()) << first.error();
    const auto second = validate_dbt_command(join_command_words(*first), "command", Trust::owner);
    ASSERT_TRUE(second.ok()) << second.error();
    EXPECT_EQ(*second, *first);
  }
}

}  // namespace
