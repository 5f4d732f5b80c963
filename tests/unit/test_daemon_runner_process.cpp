// Tests for daemon/runner/process: how dbt is started and ended (docs/runs.md).
// The product never runs a shell; these tests use /bin/sh scripts as stand-ins for dbt.
#include "daemon/runner/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dagctl::daemon::runner::ChildProcess;
using dagctl::daemon::runner::ExitStatus;
using dagctl::daemon::runner::process_start_ticks;
using dagctl::daemon::runner::SpawnSpec;
using dagctl::daemon::runner::stop_orphan_groups;
using namespace dagctl::test;  // test_util.hpp

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SpawnSpec shell(const TempDir& dir, const std::string& script) {
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"};
  spec.cwd = dir.path().string();
  spec.output_path = (dir.path() / "output.log").string();
  return spec;
}

ChildProcess spawn_ok(const SpawnSpec& spec) {
  auto r = ChildProcess::spawn(spec);
  if (!r.ok()) throw std::runtime_error("spawn failed: " + r.error());
  return std::move(r).value();
}

// How long stop_orphan_groups gives each signal when the test needs a process to die of it.
// The test pays it once per signal the process ignores; a short one (100 ms) would let a
// loaded machine turn "ended by SIGTERM" into "ended by SIGKILL".
constexpr auto kGraceToDie = 2s;
// When nothing has to die within the grace (the process ignores the signal, or is not ours).
constexpr auto kGraceToIgnore = 100ms;

// Waits (poll on the pidfd, with a deadline) until the leader has exited, then reaps it.
std::optional<ExitStatus> wait_exit(ChildProcess& child, std::chrono::milliseconds deadline = kDeadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (auto status = child.try_reap()) return status;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left <= 0ms) return std::nullopt;
    pollfd p{child.pidfd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
}

// Ends a child that would run on (SIGKILL to its group) and reaps it; false if it lingers.
bool kill_and_reap(ChildProcess& child) {
  child.signal_group(SIGKILL);
  return wait_exit(child).has_value();
}

// A process is gone once kill(pid, 0) fails, or it is a zombie nobody reaps yet (its
// parent is now init, which in a container may never reap).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// Reads a pid a script wrote to `file`; waits for the file to be complete.
pid_t read_pid(const fs::path& file) {
  pid_t pid = 0;
  eventually([&] {
    const std::string text = read_file(file);
    if (text.empty() || text.back() != '\n') return false;
    pid = static_cast<pid_t>(std::stol(text));
    return true;
  });
  return pid;
}

// The pid of the background `sleep 30` (a grandchild of the test) that a script started
// with "sleep 30 & echo $! > grandchild.pid" in its folder.
pid_t read_grandchild(const TempDir& dir) { return read_pid(dir.path() / "grandchild.pid"); }

TEST(Process, OutputAndErrorsGoToTheOutputFile) {
  TempDir dir;
  auto spec = shell(dir, "echo to-stdout; echo to-stderr >&2; exit 0");
  std::ofstream(spec.output_path) << "earlier line\n";
  auto child = spawn_ok(spec);
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_EQ(read_file(spec.output_path), "earlier line\nto-stdout\nto-stderr\n")
      << "stdout and stderr are appended to the file";
}

TEST(Process, CreatesTheOutputFile) {
  TempDir dir;
  auto child = spawn_ok(shell(dir, "echo hello"));
  ASSERT_TRUE(wait_exit(child));
  EXPECT_EQ(read_file(dir.path() / "output.log"), "hello\n");
}

TEST(Process, StdinIsDevNull) {
  TempDir dir;
  // `wc -c` would wait forever on an inherited terminal or pipe; /dev/null ends at once.
  auto child = spawn_ok(shell(dir, "readlink /proc/self/fd/0; wc -c | tr -d ' '"));
  const auto status = wait_exit(child);
  ASSERT_TRUE(status) << "the child waited for input";
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_EQ(read_file(dir.path() / "output.log"), "/dev/null\n0\n");
}

TEST(Process, RunsInTheGivenDirectoryWithExactlyTheGivenEnvironment) {
  TempDir dir;
  ::setenv("DAGCTL_TEST_PARENT_ONLY", "leaked", 1);
  auto spec = shell(dir, "pwd; echo \"foo=$FOO\"; echo \"parent=${DAGCTL_TEST_PARENT_ONLY:-unset}\"");
  spec.env.push_back("FOO=bar baz");
  auto child = spawn_ok(spec);
  ::unsetenv("DAGCTL_TEST_PARENT_ONLY");
  ASSERT_TRUE(wait_exit(child));
  EXPECT_EQ(read_file(spec.output_path),
            fs::canonical(dir.path()).string() + "\nfoo=bar baz\nparent=unset\n");
}

TEST(Process, ExitCodeIsReported) {
  TempDir dir;
  auto child = spawn_ok(shell(dir, "exit 7"));
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 7);
  EXPECT_FALSE(status->signal.has_value());
  EXPECT_TRUE(child.reaped());
  EXPECT_FALSE(child.try_reap().has_value()) << "reaped once only";
}

TEST(Process, SignalIsReported) {
  TempDir dir;
  auto child = spawn_ok(shell(dir, "kill -TERM $$; exec sleep 30"));
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->exit_code.has_value());
  EXPECT_EQ(status->signal, SIGTERM);
}

TEST(Process, TryReapIsEmptyWhileTheChildRuns) {
  TempDir dir;
  auto child = spawn_ok(shell(dir, "exec sleep 30"));
  EXPECT_FALSE(child.try_reap().has_value());
  EXPECT_FALSE(child.reaped());
  child.signal_group(SIGKILL);
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, SIGKILL);
}

TEST(Process, ChildLeadsItsOwnProcessGroup) {
  TempDir dir;
  auto child = spawn_ok(shell(dir, "exec sleep 30"));
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
  EXPECT_NE(::getpgid(child.pid()), ::getpgrp());
  ASSERT_TRUE(kill_and_reap(child));
}

TEST(Process, SignalGroupReachesGrandchildren) {
  TempDir dir;
  auto child = spawn_ok(shell(dir, "sleep 30 & echo $! > grandchild.pid; wait"));
  const pid_t grandchild = read_grandchild(dir);
  ASSERT_GT(grandchild, 0);
  EXPECT_EQ(::getpgid(grandchild), child.pid());
  child.signal_group(SIGTERM);
  ASSERT_TRUE(wait_exit(child));
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }));
}

TEST(Process, GrandchildIsKilledWhenTheLeaderIsReaped) {
  TempDir dir;
  // The leader exits at once, leaving a background grandchild behind (as a dbt plugin
  // or adapter helper could).
  auto child = spawn_ok(shell(dir, "sleep 30 & echo $! > grandchild.pid; exit 0"));
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  const pid_t grandchild = read_grandchild(dir);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }))
      << "grandchild " << grandchild << " outlived the run";
}

TEST(Process, DestroyingAnUnreapedChildKillsItsGroup) {
  TempDir dir;
  pid_t leader = 0;
  pid_t grandchild = 0;
  {
    auto child = spawn_ok(shell(dir, "sleep 30 & echo $! > grandchild.pid; wait"));
    leader = child.pid();
    grandchild = read_grandchild(dir);
  }
  ASSERT_GT(grandchild, 0);
  EXPECT_NE(::kill(leader, 0), 0) << "the leader is killed and reaped";
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }));
}

TEST(Process, ChildGetsDefaultDispositionsAndAnEmptySignalMask) {
  // The daemon blocks or ignores SIGINT for itself; dbt must still react to it (docs/runs.md).
  TempDir dir;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigset_t old_mask;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_term {};
  ASSERT_EQ(::sigaction(SIGTERM, &ignore, &old_term), 0);

  auto blocked_child = spawn_ok(shell(dir, "exec sleep 30"));
  auto ignoring_child = spawn_ok(shell(dir, "exec sleep 30"));

  ::sigaction(SIGTERM, &old_term, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

  blocked_child.signal_group(SIGINT);
  ignoring_child.signal_group(SIGTERM);
  const auto s1 = wait_exit(blocked_child);
  const auto s2 = wait_exit(ignoring_child);
  ASSERT_TRUE(s1);
  ASSERT_TRUE(s2);
  EXPECT_EQ(s1->signal, SIGINT);
  EXPECT_EQ(s2->signal, SIGTERM);
}

TEST(Process, NoDescriptorsButStdioAreInherited) {
  TempDir dir;
  // Deliberately without O_CLOEXEC: the daemon's sockets and database must not leak.
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 3);
  const std::string n = std::to_string(fd);
  auto child = spawn_ok(shell(dir, "if [ -e /proc/$$/fd/" + n + " ]; then echo leaked; else echo closed; fi"));
  ::close(fd);
  ASSERT_TRUE(wait_exit(child));
  EXPECT_EQ(read_file(dir.path() / "output.log"), "closed\n");
}

TEST(Process, SpawningANonexistentProgramIsAnError) {
  TempDir dir;
  auto spec = shell(dir, "");
  spec.argv = {"/nonexistent/dagctl-no-such-dbt", "build"};
  const auto r = ChildProcess::spawn(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent/dagctl-no-such-dbt"), std::string::npos) << r.error();

  spec.argv = {"dagctl-no-such-dbt-in-path", "build"};
  const auto r2 = ChildProcess::spawn(spec);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().find("dagctl-no-such-dbt-in-path"), std::string::npos) << r2.error();
}

TEST(Process, MissingWorkingDirectoryOrOutputFolderIsAnError) {
  // A project folder that was moved away, or a run folder that could not be made.
  TempDir dir;
  auto spec = shell(dir, "echo never");
  spec.cwd = (dir.path() / "moved-away").string();
  EXPECT_FALSE(ChildProcess::spawn(spec).ok());

  spec = shell(dir, "echo never");
  spec.output_path = (dir.path() / "no-such-folder" / "output.log").string();
  EXPECT_FALSE(ChildProcess::spawn(spec).ok());
}

TEST(Process, SpawningNothingIsAnError) {
  TempDir dir;
  auto spec = shell(dir, "");
  spec.argv.clear();
  EXPECT_FALSE(ChildProcess::spawn(spec).ok());
}

TEST(Process, ProgramIsLookedUpInPath) {
  TempDir dir;
  auto spec = shell(dir, "");
  spec.argv = {"sh", "-c", "echo found"};
  auto child = spawn_ok(spec);
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  EXPECT_EQ(read_file(spec.output_path), "found\n");
}

// The warm worker gets its socket and script as fds 3 and 4 (and nothing else).
TEST(Process, PassedDescriptorsArriveAsThreeAndFourInOrder) {
  TempDir dir;
  int first[2];
  int second[2];
  ASSERT_EQ(::pipe2(first, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(second, O_CLOEXEC), 0);
  auto spec = shell(dir, "echo one >&3; echo two >&4; ls /proc/self/fd | sort -n | tr '\\n' ' '");
  spec.pass_fds = {first[1], second[1]};
  auto child = spawn_ok(spec);
  ::close(first[1]);
  ::close(second[1]);
  const auto status = wait_exit(child);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);
  char buf[16] = {};
  EXPECT_EQ(::read(first[0], buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "one\n");
  EXPECT_EQ(::read(second[0], buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "two\n");
  ::close(first[0]);
  ::close(second[0]);
  // 0-2, the two passed, and the one ls opens for /proc/self/fd: no daemon descriptor.
  EXPECT_EQ(read_file(spec.output_path), "0 1 2 3 4 5 ");
}

TEST(Process, StartTicksAreNonZeroForALiveProcessAndZeroForADeadOne) {
  TempDir dir;
  const auto self = process_start_ticks(::getpid());
  EXPECT_GT(self, 0);
  auto child = spawn_ok(shell(dir, "exec sleep 30"));
  const auto ticks = process_start_ticks(child.pid());
  EXPECT_GT(ticks, 0);
  EXPECT_GE(ticks, self);
  EXPECT_EQ(process_start_ticks(child.pid()), ticks) << "stable for one process";
  ASSERT_TRUE(kill_and_reap(child));
  EXPECT_EQ(process_start_ticks(child.pid()), 0);
}

// Start-up reads /proc of dbt processes that may end at any moment: a process reaped
// between open() and read() made read() fail with ESRCH, which once stopped dagctld
// ("basic_filebuf::underflow error reading the file: No such process"). Many short-lived
// processes, read while they end: never an exception.
TEST(Process, ReadingProcessesThatEndMeanwhileNeverThrows) {
  std::atomic<pid_t> latest{0};
  std::atomic<bool> done{false};
  std::thread spawner([&] {
    for (int i = 0; i < 400; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) ::_exit(0);
      latest = pid;
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    done = true;
  });
  while (!done) {
    EXPECT_NO_THROW(process_start_ticks(latest));
    EXPECT_NO_THROW(dagctl::daemon::runner::processes_with_env("DAGCTL_RUN_ID=none"));
  }
  spawner.join();
}

// A recorded pid that now belongs to an unrelated process (reused) is never signalled.
TEST(Process, StopOrphanGroupsLeavesAProcessWithOtherStartTicksAlone) {
  // The pid was reused by an unrelated process: it must not be touched.
  TempDir dir;
  auto child = spawn_ok(shell(dir, "exec sleep 30"));
  const auto ticks = process_start_ticks(child.pid());
  stop_orphan_groups({{child.pid(), ticks + 1}}, kGraceToIgnore);
  // Had it signalled the process, it would have waited for its exit: it would be reapable now.
  EXPECT_FALSE(child.try_reap().has_value()) << "an unrelated process was killed";
  ASSERT_TRUE(kill_and_reap(child));
}

TEST(Process, StopOrphanGroupsInterruptsTheWholeGroupFirst) {
  // SIGINT first, as for a cancel (docs/runs.md): dbt then cancels its warehouse queries.
  TempDir dir;
  auto child = spawn_ok(shell(dir, "sleep 30 & echo $! > grandchild.pid; wait"));
  const pid_t grandchild = read_grandchild(dir);
  stop_orphan_groups({{child.pid(), process_start_ticks(child.pid())}}, 5s);
  const auto status = wait_exit(child);  // already exited: stop_orphan_groups waited
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, SIGINT);
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }))
      << "the background grandchild (which ignores SIGINT) is killed with its group";
}

TEST(Process, StopOrphanGroupsEscalatesToSigtermThenSigkill) {
  TempDir dir;
  const auto ready = dir.path() / "ready";
  auto ignores_int = spawn_ok(shell(dir, "trap '' INT; echo $$ > ready; while :; do sleep 1; done"));
  ASSERT_GT(read_pid(ready), 0);  // the trap is in place
  stop_orphan_groups({{ignores_int.pid(), process_start_ticks(ignores_int.pid())}}, kGraceToDie);
  auto status = wait_exit(ignores_int);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, SIGTERM);

  fs::remove(ready);
  auto ignores_both = spawn_ok(shell(dir, "trap '' INT TERM; echo $$ > ready; while :; do sleep 1; done"));
  ASSERT_GT(read_pid(ready), 0);
  // SIGKILL needs no grace: it waits for the exit itself.
  stop_orphan_groups({{ignores_both.pid(), process_start_ticks(ignores_both.pid())}}, kGraceToIgnore);
  status = wait_exit(ignores_both);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signal, SIGKILL);
}

TEST(Process, StopOrphanGroupsStopsSeveralGroupsAndSkipsDeadOnes) {
  TempDir dir;
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  auto a = spawn_ok(shell(dir, "trap '' INT; echo $$ > a/ready; while :; do sleep 1; done"));
  auto b = spawn_ok(shell(dir, "exec sleep 30"));
  auto dead = spawn_ok(shell(dir, "exit 0"));
  ASSERT_TRUE(wait_exit(dead));
  ASSERT_GT(read_pid(dir.path() / "a" / "ready"), 0);
  stop_orphan_groups({{a.pid(), process_start_ticks(a.pid())},
                      {dead.pid(), 12345},
                      {b.pid(), process_start_ticks(b.pid())},
                      {0, 0}},
                     kGraceToDie);
  const auto sa = wait_exit(a);
  const auto sb = wait_exit(b);
  ASSERT_TRUE(sa);
  ASSERT_TRUE(sb);
  EXPECT_EQ(sa->signal, SIGTERM);
  EXPECT_EQ(sb->signal, SIGINT);
}

TEST(Process, ProcessesWithEnvFindsARunsProcessesByTheirEnvironment) {
  // How a restarted daemon finds dbt processes left over from a run (DAGCTL_RUN_ID).
  TempDir dir;
  const std::string entry = "DAGCTL_RUN_ID=unit-" + std::to_string(::getpid()) + "-" + dir.path().filename().string();
  auto spec = shell(dir, "sleep 30 & echo $! > grandchild.pid; wait");
  spec.env.push_back(entry);
  auto child = spawn_ok(spec);
  const pid_t grandchild = read_grandchild(dir);
  std::vector<pid_t> expected = {child.pid(), grandchild};
  std::sort(expected.begin(), expected.end());
  std::vector<pid_t> found;
  // The grandchild's pid is known at fork; while it execs `sleep` its /proc environ can
  // read empty for a moment.
  EXPECT_TRUE(eventually([&] {
    found = dagctl::daemon::runner::processes_with_env(entry);
    std::sort(found.begin(), found.end());
    return found == expected;
  }));
  EXPECT_EQ(found, expected);
  EXPECT_TRUE(dagctl::daemon::runner::processes_with_env(entry + "x").empty()) << "exact match only";

  ASSERT_TRUE(kill_and_reap(child));
  EXPECT_TRUE(eventually([&] { return dagctl::daemon::runner::processes_with_env(entry).empty(); }));
}

}  // namespace

namespace {

// --- sealed_memfd: a script a child runs that nothing can change (docs/sqlmesh.md) ---

TEST(SealedMemfd, HoldsTheContentAndRefusesEveryChange) {
  const std::string content = "print('hello')\n" + std::string(100000, '#');  // more than one write may take
  auto fd = dagctl::daemon::runner::sealed_memfd("test.py", content);
  ASSERT_TRUE(fd.ok()) << fd.error();
  std::string read_back(content.size() + 10, '\0');
  const ssize_t n = ::pread(fd->get(), read_back.data(), read_back.size(), 0);
  ASSERT_EQ(n, static_cast<ssize_t>(content.size()));
  read_back.resize(static_cast<size_t>(n));
  EXPECT_EQ(read_back, content);
  const int seals = ::fcntl(fd->get(), F_GET_SEALS);
  EXPECT_EQ(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  EXPECT_LT(::pwrite(fd->get(), "x", 1, 0), 0);
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(::ftruncate(fd->get(), 1), 0);
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(SealedMemfd, AnEmptyContentIsAnEmptySealedFile) {
  auto fd = dagctl::daemon::runner::sealed_memfd("empty", "");
  ASSERT_TRUE(fd.ok()) << fd.error();
  char c;
  EXPECT_EQ(::pread(fd->get(), &c, 1, 0), 0);
  EXPECT_EQ(::fcntl(fd->get(), F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

}  // namespace
