// Tests for common/paths and common/config_file: where the CLI and the daemon find each
// other (docs/daemon.md#where-things-are) and the config file's grammar.
#include "common/paths.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "common/config_file.hpp"
#include "tests/unit/test_util.hpp"

namespace {

namespace common = dagctl::common;

std::string error_of(std::string_view text) {
  const auto parsed = common::parse_config_text(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.error();
}

TEST(ConfigFileGrammar, KeyValueLinesCommentsAndBlanks) {
  const auto parsed = common::parse_config_text(
      "# dagctld.conf\n\n  dbt = /opt/dbt venv/bin/dbt  \nmax-parallel=2\r\n\tsandbox\t=\toff\nlisten = \"none\"\n"
      "sandbox-writable = '/data/a b'\n  # indented comment\nlast = no newline");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const auto& e = parsed.value();
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].key, "dbt");
  EXPECT_EQ(e[0].value, "/opt/dbt venv/bin/dbt");
  EXPECT_EQ(e[0].line, 3);
  EXPECT_EQ(e[1].value, "2");
  EXPECT_EQ(e[2].key, "sandbox");
  EXPECT_EQ(e[2].value, "off");
  EXPECT_EQ(e[3].value, "none");
  EXPECT_EQ(e[4].value, "/data/a b");
  EXPECT_EQ(e[5].key, "last");
  EXPECT_EQ(e[5].line, 9);
  EXPECT_EQ(common::find_entry(e, "dbt")->value, "/opt/dbt venv/bin/dbt");
  EXPECT_EQ(common::find_entry(e, "keep-days"), nullptr);
  EXPECT_TRUE(common::parse_config_text("").value().empty());
}

TEST(ConfigFileGrammar, EachRefusalNamesTheLine) {
  EXPECT_EQ(error_of("dbt = x\nno equals\n").rfind("line 2: ", 0), 0u);
  EXPECT_NE(error_of("--dbt = x").find("without --"), std::string::npos);
  EXPECT_NE(error_of("Dbt = x").find("is not a key"), std::string::npos);
  EXPECT_NE(error_of("d b t = x").find("is not a key"), std::string::npos);
  EXPECT_NE(error_of("= x").find("is not a key"), std::string::npos);
  EXPECT_NE(error_of("dbt =   ").find("dbt has no value"), std::string::npos);
  EXPECT_NE(error_of("dbt = \"\"").find("has no value"), std::string::npos);
  EXPECT_NE(error_of("max-parallel = 2 # cores").find("own line"), std::string::npos);
  EXPECT_NE(error_of(std::string("dbt = a\0b", 9)).find("control character"), std::string::npos);
  EXPECT_NE(error_of(std::string(common::kMaxConfigFileBytes + 1, '#')).find("KiB"), std::string::npos);
  // A '#' inside a word belongs to the value; quoted, a " #" does too.
  EXPECT_EQ(common::parse_config_text("dbt = /a#b").value()[0].value, "/a#b");
  EXPECT_EQ(common::parse_config_text("dbt = '/a #b'").value()[0].value, "/a #b");
  // An unclosed quote, a key given twice and paths that depend on the working directory.
  EXPECT_NE(error_of("dbt = \"/x").find("never closed"), std::string::npos);
  EXPECT_NE(error_of("dbt = '").find("never closed"), std::string::npos);
  EXPECT_EQ(error_of("socket = /a\nsocket = /b"), "line 2: socket is already set on line 1");
  EXPECT_NE(error_of("data-dir = relative/dir").find("absolute path"), std::string::npos);
  EXPECT_NE(error_of("data-dir = ~/data").find("absolute path"), std::string::npos);
  EXPECT_NE(error_of("socket = relsock").find("absolute path"), std::string::npos);
  EXPECT_EQ(common::parse_config_text("dbt = dbt").value()[0].value, "dbt");  // a name found in PATH
}

TEST(ConfigFile, ErrorsNameThePathAndLine) {
  dagctl::test::TempDir dir;
  const std::string path = dir.file("dagctld.conf");
  std::ofstream(path) << "dbt = x\n\nbroken\n";
  const auto read = common::read_config_file(path, false);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().rfind(path + ":3: ", 0), 0u) << read.error();
  EXPECT_TRUE(common::read_config_file(dir.file("missing"), false).value().empty());
  EXPECT_NE(common::read_config_file(dir.file("missing"), true).error().find("cannot read"), std::string::npos);
  EXPECT_NE(common::read_config_file(dir.path().string(), false).error().find("not a file"), std::string::npos);
}

class Locations : public ::testing::Test {
protected:
  Locations() {
    for (const char* name : {"DAGCTL_CONFIG", "DAGCTL_SOCKET", "DAGCTL_DATA_DIR", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"}) {
      env_.unset(name);
    }
    env_.set("HOME", dir_.file("home"));
    env_.set("XDG_CONFIG_HOME", dir_.file("config"));
  }
  void write_config(const std::string& text) {
    std::filesystem::create_directories(dir_.file("config/dagctl"));
    std::ofstream(dir_.file("config/dagctl/dagctld.conf")) << text;
  }
  dagctl::test::TempDir dir_;
  dagctl::test::EnvGuard env_;
};

TEST_F(Locations, TheSocketLivesInTheDataDirWhateverXdgRuntimeDirSays) {
  env_.set("XDG_RUNTIME_DIR", "/run/user/1000");  // a login shell has it, cron does not
  const auto where = common::resolve_locations("", "");
  ASSERT_TRUE(where.ok()) << where.error();
  EXPECT_EQ(where->data_dir, dir_.file("home") + "/.local/state/dagctl");
  EXPECT_EQ(where->socket, dir_.file("home") + "/.local/state/dagctl/dagctl.sock");
  EXPECT_EQ(where->config_file, "");
  EXPECT_EQ(common::default_socket_path(), where->socket);
  env_.set("XDG_STATE_HOME", "/state");
  EXPECT_EQ(common::resolve_locations("", "")->socket, "/state/dagctl/dagctl.sock");
}

TEST_F(Locations, FlagBeatsVariableBeatsConfigFileBeatsDefault) {
  write_config("data-dir = /from/file\nsocket = /from/file.sock\n");
  EXPECT_EQ(common::resolve_locations("", "")->data_dir, "/from/file");
  EXPECT_EQ(common::resolve_locations("", "")->socket, "/from/file.sock");
  EXPECT_EQ(common::resolve_locations("", "")->config_file, dir_.file("config/dagctl/dagctld.conf"));
  env_.set("DAGCTL_DATA_DIR", "/from/env");
  env_.set("DAGCTL_SOCKET", "/from/env.sock");
  EXPECT_EQ(common::resolve_locations("", "")->data_dir, "/from/env");
  EXPECT_EQ(common::resolve_locations("", "")->socket, "/from/env.sock");
  EXPECT_EQ(common::resolve_locations("/from/flag", "/from/flag.sock")->data_dir, "/from/flag");
  EXPECT_EQ(common::resolve_locations("/from/flag", "/from/flag.sock")->socket, "/from/flag.sock");
}

TEST_F(Locations, AGivenDataDirCarriesItsSocket) {
  EXPECT_EQ(common::resolve_locations("/srv/d", "")->socket, "/srv/d/dagctl.sock");
  env_.set("DAGCTL_DATA_DIR", "/srv/e");
  EXPECT_EQ(common::resolve_locations("", "")->socket, "/srv/e/dagctl.sock");
}

TEST_F(Locations, DagctlConfigNamesTheFileWhichMustExist) {
  const std::string path = dir_.file("mine.conf");
  env_.set("DAGCTL_CONFIG", path);
  EXPECT_EQ(common::config_file_path(), path);
  EXPECT_FALSE(common::resolve_locations("", "").ok());
  std::ofstream(path) << "socket = /mine.sock\n";
  EXPECT_EQ(common::resolve_locations("", "")->socket, "/mine.sock");
}

TEST_F(Locations, ConfigFilePathFallsBackToHome) {
  env_.unset("XDG_CONFIG_HOME");
  EXPECT_EQ(common::config_file_path(), dir_.file("home") + "/.config/dagctl/dagctld.conf");
  env_.unset("HOME");
  EXPECT_EQ(common::config_file_path(), "");
}

TEST_F(Locations, ABrokenConfigFileIsAnErrorNamingItsLine) {
  write_config("socket /x\n");
  const auto where = common::resolve_locations("", "");
  ASSERT_FALSE(where.ok());
  EXPECT_NE(where.error().find("dagctld.conf:1:"), std::string::npos) << where.error();
  EXPECT_THROW(common::default_socket_path(), std::runtime_error);
}

TEST_F(Locations, WithoutHomeOnlyAGivenSocketWorks) {
  env_.unset("HOME");
  EXPECT_FALSE(common::resolve_locations("", "").ok());
  EXPECT_EQ(common::default_socket_path(), "");
  EXPECT_EQ(common::resolve_locations("", "/given.sock")->socket, "/given.sock");
}

TEST_F(Locations, ASocketPathTooLongSaysToPassSocket) {
  const auto where = common::resolve_locations("/" + std::string(110, 'x'), "");
  ASSERT_FALSE(where.ok());
  EXPECT_NE(where.error().find("--socket"), std::string::npos) << where.error();
  EXPECT_TRUE(common::check_socket_path("/" + std::string(106, 'x')).ok());
  EXPECT_FALSE(common::check_socket_path("/" + std::string(107, 'x')).ok());
}

}  // namespace
