// Tests for daemon/runner/sqlmesh/launch: how a SQLMesh run is started (docs/sqlmesh.md,
// How SQLMesh is run): through the plugin, given as a sealed memfd, with the interpreter of
// the project's `sqlmesh` script, or as it is when that is no Python script; its
// environment; and the plan summary it leaves.
#include "daemon/runner/sqlmesh/launch.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace sqlmesh = dagctl::daemon::runner::sqlmesh;
using nlohmann::json;
using namespace dagctl::test;  // test_util.hpp

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// All `fd` holds, read from its start.
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (off_t off = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

const std::vector<std::string> kWords = {"sqlmesh", "run", "--select-model", "bakery.daily_sales"};

TEST(SqlmeshLaunch, APythonScriptRunsThePluginWithItsInterpreter) {
  TempDir dir;
  write(dir.file("sqlmesh"), "#!/home/ana/venv/bin/python3\nfrom sqlmesh.cli.main import cli\n");
  auto launch = sqlmesh::launch(dir.file("sqlmesh"), kWords);
  ASSERT_TRUE(launch.ok()) << launch.error();
  EXPECT_EQ(launch->argv, (std::vector<std::string>{"/home/ana/venv/bin/python3", "/proc/self/fd/3", "run",
                                                    "--select-model", "bakery.daily_sales"}));
  EXPECT_FALSE(launch->without_plugin.has_value());
  ASSERT_TRUE(launch->plugin);
  EXPECT_EQ(read_all(launch->plugin.get()), std::string(sqlmesh::plugin_source()));
  EXPECT_FALSE(sqlmesh::plugin_source().empty());
}

TEST(SqlmeshLaunch, ThePluginsMemfdIsSealedAgainstEveryChange) {
  TempDir dir;
  write(dir.file("sqlmesh"), "#!/usr/bin/env python3\n");
  auto launch = sqlmesh::launch(dir.file("sqlmesh"), {"sqlmesh", "plan"});
  ASSERT_TRUE(launch.ok()) << launch.error();
  EXPECT_EQ(launch->argv, (std::vector<std::string>{"/usr/bin/env", "python3", "/proc/self/fd/3", "plan"}));
  const int fd = launch->plugin.get();
  const int seals = ::fcntl(fd, F_GET_SEALS);
  ASSERT_GE(seals, 0) << std::strerror(errno);
  EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
            F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  EXPECT_LT(::pwrite(fd, "x", 1, 0), 0);
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(::ftruncate(fd, 0), 0);
  EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1) << "F_SEAL_SEAL forbids new seals";
  // Nor through a new open file description, as /proc/self/fd/3 gives the child.
  const int again = ::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDWR);
  if (again >= 0) {
    EXPECT_LT(::write(again, "x", 1), 0);
    ::close(again);
  }
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "only the child's fd 3 is to outlive exec";
}

TEST(SqlmeshLaunch, AScriptThatIsNotPythonRunsAsItIsAndSaysWhy) {
  TempDir dir;
  write(dir.file("sqlmesh"), "#!/bin/sh\nexec /opt/sqlmesh \"$@\"\n");
  auto launch = sqlmesh::launch(dir.file("sqlmesh"), kWords);
  ASSERT_TRUE(launch.ok()) << launch.error();
  EXPECT_EQ(launch->argv,
            (std::vector<std::string>{dir.file("sqlmesh"), "run", "--select-model", "bakery.daily_sales"}));
  ASSERT_TRUE(launch->without_plugin.has_value());
  EXPECT_NE(launch->without_plugin->find("is not a Python script"), std::string::npos) << *launch->without_plugin;
  EXPECT_EQ(launch->without_plugin->find("warm"), std::string::npos) << "a SQLMesh user is not told about warm dbt workers";
  EXPECT_FALSE(launch->plugin);
}

TEST(SqlmeshLaunch, AnExecutableThatCannotBeReadRunsAsItIs) {
  auto launch = sqlmesh::launch("sqlmesh", {"sqlmesh", "run"});  // a name found in PATH later
  ASSERT_TRUE(launch.ok()) << launch.error();
  EXPECT_EQ(launch->argv, (std::vector<std::string>{"sqlmesh", "run"}));
  EXPECT_TRUE(launch->without_plugin.has_value());
}

std::map<std::string, std::string> as_map(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& entry : env) {
    const auto eq = entry.find('=');
    EXPECT_NE(eq, std::string::npos) << entry;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

TEST(SqlmeshLaunch, TheEnvironmentAddsNoColourNoAnalyticsAndThePluginsPaths) {
  const auto env = as_map(sqlmesh::environment({{"PATH", "/usr/bin"}}, "run-1", "/d/target", "/d/logs"));
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"PATH", "/usr/bin"},
                                                      {"NO_COLOR", "1"},
                                                      {"TERM", "dumb"},
                                                      {"SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1"},
                                                      {"DAGCTL_SQLMESH_LOG", "/d/logs/sqlmesh.log"},
                                                      {"DAGCTL_SQLMESH_TARGET", "/d/target"},
                                                      {"DAGCTL_RUN_ID", "run-1"}}));
}

TEST(SqlmeshLaunch, TheProjectsOwnDefaultsWinButThePluginsPathsAreAlwaysOurs) {
  const auto env = as_map(sqlmesh::environment({{"NO_COLOR", "0"},
                                                {"TERM", "xterm"},
                                                {"SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "0"},
                                                {"DAGCTL_SQLMESH_LOG", "/tmp/elsewhere"},
                                                {"DAGCTL_SQLMESH_TARGET", "/tmp/elsewhere"},
                                                {"DAGCTL_RUN_ID", "forged"}},
                                               "run-2", "/d/target", "/d/logs"));
  EXPECT_EQ(env.at("NO_COLOR"), "0");
  EXPECT_EQ(env.at("TERM"), "xterm");
  EXPECT_EQ(env.at("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"), "0");
  EXPECT_EQ(env.at("DAGCTL_SQLMESH_LOG"), "/d/logs/sqlmesh.log");
  EXPECT_EQ(env.at("DAGCTL_SQLMESH_TARGET"), "/d/target");
  EXPECT_EQ(env.at("DAGCTL_RUN_ID"), "run-2");
  // DO_NOT_TRACK says it for SQLMesh too: dagctl adds nothing then.
  const auto tracked = as_map(sqlmesh::environment({{"DO_NOT_TRACK", "1"}}, "r", "/t", "/l"));
  EXPECT_EQ(tracked.count("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"), 0u);
}

TEST(SqlmeshLaunch, APlanIsReadOnlyWhenItIsAJsonObject) {
  TempDir dir;
  EXPECT_TRUE(sqlmesh::read_plan(dir.path().string()).is_null());
  write(dir.file("plan.json"), "[1, 2]");
  EXPECT_TRUE(sqlmesh::read_plan(dir.path().string()).is_null());
  write(dir.file("plan.json"), "{\"environment\": \"prod\", ");  // cut short
  EXPECT_TRUE(sqlmesh::read_plan(dir.path().string()).is_null());
  write(dir.file("plan.json"), "");
  EXPECT_TRUE(sqlmesh::read_plan(dir.path().string()).is_null());
  const json plan = {{"environment", "prod"}, {"applied", true}, {"added", {"bakery.daily_sales"}}};
  write(dir.file("plan.json"), plan.dump());
  const json kept = sqlmesh::read_plan(dir.path().string());
  EXPECT_EQ(kept["environment"], "prod");
  EXPECT_EQ(kept["applied"], true);
  EXPECT_EQ(kept["added"], json::array({"bakery.daily_sales"}));
  EXPECT_EQ(kept["removed"], json::array());  // every list is there, empty when the plan had none
  EXPECT_EQ(kept["counts"]["added"], 1);
  EXPECT_EQ(kept["counts"]["backfill"], 0);
}

TEST(SqlmeshLaunch, APlanKeptWithItsRunIsBounded) {
  TempDir dir;
  json names = json::array();
  for (int i = 0; i < 250; ++i) names.push_back("m.model_" + std::to_string(i));
  write(dir.file("plan.json"), json{{"environment", std::string(300, 'e')}, {"added", names},
                                    {"backfill", "not a list"}, {"junk", {1, 2, 3}}}
                                   .dump());
  const json kept = sqlmesh::read_plan(dir.path().string());
  EXPECT_EQ(kept["added"].size(), sqlmesh::kMaxPlanNames);
  EXPECT_EQ(kept["counts"]["added"], 250);  // the full length, for "and N more"
  EXPECT_EQ(kept["backfill"], json::array());
  EXPECT_FALSE(kept.contains("environment"));  // not a name a plan would have
  EXPECT_FALSE(kept.contains("junk"));
}

}  // namespace
