// Tests for common/dbt_command: CONTRACT §7 command_override rules, splitting and display.
#include "common/dbt_command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using dagctl::common::join_command_words;
using dagctl::common::split_command_words;
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

void run_table(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE("case: " + c.label);
    const auto r = validate_dbt_command(c.input);
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
    }
  }
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
      accept("empty quotes make an empty word", "dbt run --vars ''",
             {"dbt", "run", "--vars", ""}),
      accept("empty double quotes", "dbt run \"\" x", {"dbt", "run", "", "x"}),
      accept("quoted dbt", "'dbt' \"build\"", {"dbt", "build"}),
      accept("glob stays literal", "dbt ls --select 'path:models/*'",
             {"dbt", "ls", "--select", "path:models/*"}),
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
      accept("NBSP is a word char", "dbt run --select a\xc2\xa0" "b",
             {"dbt", "run", "--select", "a\xc2\xa0" "b"}),
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

TEST(DbtCommand, ForbiddenFlags) {
  std::vector<Case> cases;
  for (std::string flag : {"--project-dir", "--profiles-dir", "--target-path", "--log-path"}) {
    const std::string named = "'" + flag + "' cannot be overridden; it is set by the project";
    cases.push_back(reject(flag + " spaced", "dbt run " + flag + " /tmp", {named}));
    cases.push_back(reject(flag + " equals", "dbt run " + flag + "=/tmp", {named}));
    cases.push_back(reject(flag + " equals empty", "dbt run " + flag + "=", {named}));
    cases.push_back(reject(flag + " quoted", "dbt run '" + flag + "=/a b'", {named}));
    cases.push_back(reject(flag + " before subcommand", "dbt " + flag + " /tmp run", {named}));
    cases.push_back(reject(flag + " at end", "dbt build --select x " + flag, {named}));
  }
  cases.push_back(reject("split by quotes", "dbt run --pro'files-dir' /tmp", {"'--profiles-dir'"}));
  cases.push_back(reject("underscore spelling", "dbt run --profiles_dir /tmp", {"'--profiles_dir'"}));
  cases.push_back(reject("upper case", "dbt run --PROJECT-DIR=/x", {"'--PROJECT-DIR'"}));
  // Similar-looking but different flags stay allowed.
  cases.push_back(accept("--target", "dbt run --target prod", {"dbt", "run", "--target", "prod"}));
  cases.push_back(accept("--project-dirx is not the flag", "dbt run --select --project-dirx",
                         {"dbt", "run", "--select", "--project-dirx"}));
  cases.push_back(accept("flag as part of value", "dbt run --select=--log-paths",
                         {"dbt", "run", "--select=--log-paths"}));
  run_table(cases);
}

TEST(DbtCommand, Subcommands) {
  std::vector<Case> cases;
  for (std::string sub : {"build", "run", "test", "seed", "snapshot", "compile", "ls", "list",
                          "parse", "deps", "retry", "run-operation", "show", "clone"}) {
    cases.push_back(accept(sub, "dbt " + sub, {"dbt", sub}));
    cases.push_back(accept(sub + " with args", "dbt " + sub + " --debug x", {"dbt", sub, "--debug", "x"}));
  }
  cases.push_back(accept("source freshness", "dbt source freshness", {"dbt", "source", "freshness"}));
  cases.push_back(accept("source freshness args", "dbt source freshness --select source:raw",
                         {"dbt", "source", "freshness", "--select", "source:raw"}));
  cases.push_back(reject("source foo", "dbt source foo", {"'dbt source foo'", "'dbt source freshness'"}));
  cases.push_back(reject("source alone", "dbt source", {"'dbt source' needs 'freshness'"}));
  cases.push_back(accept("docs generate", "dbt docs generate", {"dbt", "docs", "generate"}));
  cases.push_back(accept("docs generate args", "dbt docs generate --no-compile",
                         {"dbt", "docs", "generate", "--no-compile"}));
  cases.push_back(reject("docs serve", "dbt docs serve", {"'dbt docs serve'", "'dbt docs generate'"}));
  cases.push_back(reject("docs alone", "dbt docs", {"'dbt docs' needs 'generate'"}));
  cases.push_back(reject("unknown", "dbt rm", {"'dbt rm' is not an allowed dbt subcommand",
                                               "build, run, test"}));
  cases.push_back(reject("init", "dbt init", {"'dbt init'"}));
  cases.push_back(reject("debug", "dbt debug", {"'dbt debug'"}));
  cases.push_back(reject("case matters", "dbt BUILD", {"'dbt BUILD'"}));
  cases.push_back(reject("empty subcommand", "dbt '' build", {"'dbt '"}));
  cases.push_back(reject("dbt alone", "dbt", {"'dbt' has no subcommand"}));
  cases.push_back(reject("dbt and spaces", "  dbt  ", {"'dbt' has no subcommand"}));
  cases.push_back(reject("global flag first", "dbt --debug build",
                         {"'--debug' comes before the subcommand", "'dbt build --debug'"}));
  cases.push_back(reject("global flag with value first", "dbt --log-format json run --select x",
                         {"'--log-format'", "'dbt run --log-format json --select x'"}));
  cases.push_back(reject("flag only", "dbt --version", {"'--version'", "'dbt build --version'"}));
  run_table(cases);
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
  for (const char* cmd : {"dbt build --select my_model+", "dbt run --select 'a b' --vars ''",
                          "dbt run --vars \"{'k': 'v'}\"", "dbt ls --select 'modèle_数据'",
                          "dbt source freshness", "dbt run-operation m --args '{\"x\": 1}'"}) {
    SCOPED_TRACE(cmd);
    const auto first = validate_dbt_command(cmd);
    ASSERT_TRUE(first.ok()) << first.error();
    const auto second = validate_dbt_command(join_command_words(*first));
    ASSERT_TRUE(second.ok()) << second.error();
    EXPECT_EQ(*second, *first);
  }
}

}  // namespace
