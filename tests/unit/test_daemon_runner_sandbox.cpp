// Tests for what a run sees of the daemon (docs/sandbox.md): the environment allowlist,
// the bwrap command line, --defer's state, and stop signals that spare a supervising leader.
#include "daemon/runner/sandbox.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/runner/executor.hpp"
#include "daemon/runner/process.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dagctl::daemon::runner;
using Words = std::vector<std::string>;

// --- the environment ---------------------------------------------------------------------------

const Words kDaemonEnv = {
    "PATH=/usr/bin:/bin", "HOME=/home/me", "USER=me", "LOGNAME=me", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
    "LC_TIME=en_GB.UTF-8", "TZ=Europe/Paris", "TMPDIR=/var/tmp/me", "SSL_CERT_FILE=/etc/ca.pem",
    "REQUESTS_CA_BUNDLE=/etc/ca.pem", "DAGCTL_TOKEN=dctl_secret", "DAGCTL_WEBHOOK_AUTH_PASSWORD=pw",
    "DAGCTL_DATA_DIR=/home/me/state", "DBT_PROFILES_DIR=/home/me/.dbt", "AWS_SECRET_ACCESS_KEY=aws",
    "SNOWFLAKE_PASSWORD=sf", "LD_PRELOAD=/evil.so", "PYTHONPATH=/x", "NOEQUALS", "=nameless"};

TEST(SandboxEnvironment, OnlyTheAllowlistOfTheDaemonsEnvironmentIsInherited) {
  const auto env = inherited_environment(kDaemonEnv, {}, /*sandboxed=*/false);
  const std::map<std::string, std::string> want = {
      {"PATH", "/usr/bin:/bin"}, {"HOME", "/home/me"},        {"USER", "me"},
      {"LOGNAME", "me"},         {"LANG", "C.UTF-8"},         {"LC_ALL", "C.UTF-8"},
      {"LC_TIME", "en_GB.UTF-8"}, {"TZ", "Europe/Paris"},     {"TMPDIR", "/var/tmp/me"},
      {"SSL_CERT_FILE", "/etc/ca.pem"}, {"REQUESTS_CA_BUNDLE", "/etc/ca.pem"}};
  EXPECT_EQ(want, env);
}

TEST(SandboxEnvironment, PassEnvAddsNamedVariablesButNeverDagctlSecrets) {
  const auto env = inherited_environment(
      kDaemonEnv, {"SNOWFLAKE_PASSWORD", "DAGCTL_TOKEN", "DAGCTL_WEBHOOK_AUTH_PASSWORD", "NOT_SET"}, false);
  EXPECT_EQ("sf", env.at("SNOWFLAKE_PASSWORD"));
  EXPECT_EQ(0u, env.count("DAGCTL_TOKEN"));
  EXPECT_EQ(0u, env.count("DAGCTL_WEBHOOK_AUTH_PASSWORD"));
  EXPECT_EQ(0u, env.count("NOT_SET"));
  EXPECT_EQ(0u, env.count("AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(is_daemon_secret("DAGCTL_TOKEN"));
  EXPECT_FALSE(is_daemon_secret("DAGCTL_TOKENS"));
}

TEST(SandboxEnvironment, ASandboxedRunsTmpdirIsItsPrivateTmp) {
  EXPECT_EQ("/tmp", inherited_environment(kDaemonEnv, {}, true).at("TMPDIR"));
  EXPECT_EQ("/tmp", inherited_environment({"PATH=/bin"}, {}, true).at("TMPDIR"));
  EXPECT_EQ(0u, inherited_environment({"PATH=/bin"}, {}, false).count("TMPDIR"));
}

TEST(SandboxEnvironment, ProjectEnvComesNextAndWhatDagctlSetsWins) {
  RunContext c;
  c.run.id = "run-1";
  c.project.profiles_dir = "/p/profiles";
  c.project.env = {{"SNOWFLAKE_PASSWORD", "from-project"}, {"HOME", "/project/home"},
                   {"DAGCTL_RUN_ID", "forged"}, {"DBT_TARGET_PATH", "/elsewhere"}};
  const auto env = child_environment({{"PATH", "/bin"}, {"HOME", "/home/me"}}, c, dagctl::common::DataDir("/data"));
  auto has = [&](const std::string& entry) { return std::find(env.begin(), env.end(), entry) != env.end(); };
  EXPECT_TRUE(has("PATH=/bin"));
  EXPECT_TRUE(has("HOME=/project/home"));
  EXPECT_TRUE(has("SNOWFLAKE_PASSWORD=from-project"));
  EXPECT_TRUE(has("DAGCTL_RUN_ID=run-1"));
  EXPECT_TRUE(has("DBT_TARGET_PATH=/data/runs/run-1/target"));
  EXPECT_TRUE(has("DBT_LOG_PATH=/data/runs/run-1/logs"));
  EXPECT_TRUE(has("DBT_PROFILES_DIR=/p/profiles"));
  EXPECT_TRUE(has("DO_NOT_TRACK=1"));
  EXPECT_FALSE(has("DAGCTL_RUN_ID=forged"));
}

// --- --defer -------------------------------------------------------------------------------------

TEST(SandboxDefer, TheStateOfTheNewestSuccessfulRunFollowsDefer) {
  Words argv = {"dbt", "run", "--defer", "--select", "a+"};
  EXPECT_TRUE(resolve_defer(argv, std::string("/data/runs/r0/target")));
  EXPECT_EQ((Words{"dbt", "run", "--defer", "--state", "/data/runs/r0/target", "--select", "a+"}), argv);
}

TEST(SandboxDefer, WithoutAnEarlierRunDeferIsDropped) {
  Words argv = {"dbt", "run", "--defer", "--favor-state", "--select", "a"};
  EXPECT_TRUE(resolve_defer(argv, std::nullopt));
  EXPECT_EQ((Words{"dbt", "run", "--select", "a"}), argv);
}

TEST(SandboxDefer, CommandsWithoutDeferOrWithTheirOwnStateAreLeftAlone) {
  for (Words argv : {Words{"dbt", "run", "--select", "a"}, Words{"dbt", "run", "--defer", "--state", "s"},
                     Words{"dbt", "run", "--defer", "--defer-state=s"}, Words{"dbt", "run", "--no-defer"}}) {
    const Words before = argv;
    EXPECT_FALSE(resolve_defer(argv, std::string("/x")));
    EXPECT_EQ(before, argv);
  }
}

// --- the bwrap command line ------------------------------------------------------------------

SandboxSpec spec() {
  SandboxSpec s;
  s.bwrap = "/usr/bin/bwrap";
  s.data_dir = "/home/me/.local/state/dagctl";
  s.socket_path = "/run/user/1000/dagctl/dagctl.sock";
  s.project_dir = "/home/me/shop";
  s.run_dir = "/home/me/.local/state/dagctl/runs/r1";
  s.needed = {"/home/me/venv", "/home/me"};
  return s;
}

// Where the mount `words` (e.g. {"--tmpfs", "/x"}) is in argv; -1 when absent.
long at(const Words& argv, const Words& words) {
  const auto it = std::search(argv.begin(), argv.end(), words.begin(), words.end());
  return it == argv.end() ? -1 : static_cast<long>(it - argv.begin());
}

TEST(SandboxArgv, HidesTheDaemonAndShowsTheRunsOwnFolders) {
  const auto s = spec();
  const Words argv = bwrap_argv(s, {"dbt", "run"});
  const Words start = {"/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"};
  EXPECT_TRUE(std::equal(start.begin(), start.end(), argv.begin()));
  EXPECT_GE(at(argv, {"--unshare-pid"}), 0);
  EXPECT_GE(at(argv, {"--cap-drop", "ALL"}), 0);
  EXPECT_GE(at(argv, {"--tmpfs", "/tmp"}), 0);
  // Cancel signals dbt's process group: bwrap must not move it to a session of its own.
  EXPECT_EQ(-1, at(argv, {"--new-session"}));
  const long data = at(argv, {"--tmpfs", s.data_dir});
  const long socket = at(argv, {"--tmpfs", "/run/user/1000/dagctl"});
  const long project = at(argv, {"--bind", s.project_dir, s.project_dir});
  const long run = at(argv, {"--bind", s.run_dir, s.run_dir});
  EXPECT_GE(data, 0);
  EXPECT_GE(socket, 0);
  EXPECT_GT(project, data);
  EXPECT_GT(run, data);
  EXPECT_GE(at(argv, {"--chdir", s.project_dir}), 0);
  EXPECT_EQ((Words{"--", "dbt", "run"}), Words(argv.end() - 3, argv.end()));
  // Needed folders outside /tmp are visible already; nothing binds them again.
  EXPECT_EQ(-1, at(argv, {"--ro-bind", "/home/me/venv", "/home/me/venv"}));
}

TEST(SandboxArgv, WritableFoldersComeBeforeTheHidingSoTheDataDirStaysHidden) {
  auto s = spec();
  s.writable = {"/home/me"};  // holds the data dir
  const Words argv = bwrap_argv(s, {"dbt"});
  const long writable = at(argv, {"--bind", "/home/me", "/home/me"});
  EXPECT_GE(writable, 0);
  EXPECT_GT(at(argv, {"--tmpfs", s.data_dir}), writable);
  EXPECT_GT(at(argv, {"--bind", s.run_dir, s.run_dir}), at(argv, {"--tmpfs", s.data_dir}));
}

TEST(SandboxArgv, ASocketInAFolderTheRunNeedsIsCoveredByDevNull) {
  auto s = spec();
  s.socket_path = "/home/me/dagctl.sock";  // its folder is HOME
  const Words argv = bwrap_argv(s, {"dbt"});
  EXPECT_EQ(-1, at(argv, {"--tmpfs", "/home/me"}));
  EXPECT_GE(at(argv, {"--ro-bind", "/dev/null", "/home/me/dagctl.sock"}), 0);
}

TEST(SandboxArgv, ADataDirInsideTheProjectIsHiddenAgainAfterTheProjectIsBound) {
  auto s = spec();
  s.data_dir = "/home/me/shop/.state";
  s.run_dir = "/home/me/shop/.state/runs/r1";
  const Words argv = bwrap_argv(s, {"dbt"});
  const long project = at(argv, {"--bind", s.project_dir, s.project_dir});
  const Words hide = {"--tmpfs", s.data_dir};
  const auto last_hide = std::find_end(argv.begin(), argv.end(), hide.begin(), hide.end());
  ASSERT_NE(argv.end(), last_hide);
  EXPECT_GT(last_hide - argv.begin(), project);
  EXPECT_GT(at(argv, {"--bind", s.run_dir, s.run_dir}), last_hide - argv.begin());
}

TEST(SandboxArgv, NeededFoldersUnderTmpAndTheDeferStateAreReadOnly) {
  auto s = spec();
  s.needed = {"/tmp/venv", "/home/me"};
  s.state_dir = "/home/me/.local/state/dagctl/runs/r0/target";
  const Words argv = bwrap_argv(s, {"dbt"});
  const long tmp = at(argv, {"--tmpfs", "/tmp"});
  EXPECT_GT(at(argv, {"--ro-bind", "/tmp/venv", "/tmp/venv"}), tmp);
  EXPECT_GT(at(argv, {"--ro-bind", *s.state_dir, *s.state_dir}), at(argv, {"--tmpfs", s.data_dir}));
  EXPECT_EQ(-1, at(argv, {"--bind", *s.state_dir, *s.state_dir}));
}

TEST(SandboxArgv, PathWithinComparesWholeComponents) {
  EXPECT_TRUE(path_within("/a/b", "/a"));
  EXPECT_TRUE(path_within("/a", "/a"));
  EXPECT_TRUE(path_within("/a", "/"));
  EXPECT_FALSE(path_within("/ab", "/a"));
  EXPECT_FALSE(path_within("/a", "/a/b"));
}

TEST(SandboxModes, ParsesItsThreeWords) {
  EXPECT_EQ(SandboxMode::automatic, parse_sandbox_mode("auto"));
  EXPECT_EQ(SandboxMode::on, parse_sandbox_mode("on"));
  EXPECT_EQ(SandboxMode::off, parse_sandbox_mode("off"));
  EXPECT_FALSE(parse_sandbox_mode("yes"));
  EXPECT_EQ("auto", to_string(SandboxMode::automatic));
}

TEST(SandboxModes, OffDoesNotLookForBwrap) {
  const auto status = probe_sandbox(SandboxMode::off, "/nonexistent");
  EXPECT_FALSE(status.active);
  EXPECT_TRUE(status.bwrap.empty());
}

// --- stop signals and a supervising leader -----------------------------------------------------

ExitStatus stop(bool supervisor_leader, const dagctl::test::TempDir& dir) {
  // A leader that dies of SIGTERM unless spared; then its child does, and the leader exits
  // with the child's status, as bwrap does. (SIGTERM: sh's background jobs ignore SIGINT.)
  fs::remove(dir.file("started"));
  auto child = ChildProcess::spawn({{"/bin/sh", "-c", "sleep 30 & echo > started; wait $!"},
                                    {"PATH=/usr/bin:/bin"}, dir.path().string(), dir.file("out.log"),
                                    supervisor_leader});
  EXPECT_TRUE(child.ok());
  auto process = std::move(child).value();
  EXPECT_TRUE(dagctl::test::eventually([&] { return fs::exists(dir.file("started")); }));
  process.signal_group(SIGTERM);
  pollfd p{process.pidfd(), POLLIN, 0};
  ::poll(&p, 1, 10000);
  auto exit = process.try_reap();
  EXPECT_TRUE(exit.has_value());
  return exit.value_or(ExitStatus{});
}

TEST(SandboxSignals, StopSignalsSpareASupervisingLeader) {
  dagctl::test::TempDir dir;
  const ExitStatus spared = stop(true, dir);
  EXPECT_FALSE(spared.signal) << "the supervisor was signalled";
  EXPECT_EQ(128 + SIGTERM, spared.exit_code.value_or(-1));
  const ExitStatus plain = stop(false, dir);
  EXPECT_EQ(SIGTERM, plain.signal.value_or(-1));
}

}  // namespace
