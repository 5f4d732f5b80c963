// Tests for daemon/runner/warm/ (docs/runs.md#warm-workers): when a project's runs may go
// warm, and what the pool says when they cannot. The warm path with real dbt is
// tests/integration/test_warm_workers.sh.
#include "daemon/runner/warm/pool.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "common/fd.hpp"
#include "daemon/runner/executor.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using dagctl::daemon::runner::python_of;
using dagctl::daemon::runner::warm::files_stamp;
using dagctl::daemon::runner::warm::Pool;
using dagctl::daemon::runner::warm::PoolOptions;
using dagctl::daemon::runner::warm::Worker;
using dagctl::daemon::runner::warm::WorkerRequest;
using namespace dagctl::test;  // test_util.hpp

std::string write(const TempDir& dir, const std::string& name, const std::string& content) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string why_cold(const std::variant<std::vector<std::string>, std::string>& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : "";
}

TEST(WarmPythonOf, AVenvScriptRunsWithItsOwnInterpreter) {
  TempDir dir;
  const auto v = python_of(write(dir, "dbt", "#!/opt/venv/bin/python3.11\nimport sys\n"));
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(v)) << why_cold(v);
  EXPECT_EQ(std::get<std::vector<std::string>>(v), std::vector<std::string>{"/opt/venv/bin/python3.11"});
}

TEST(WarmPythonOf, EnvPythonKeepsTheKernelsOneArgument) {
  TempDir dir;
  const auto v = python_of(write(dir, "dbt", "#! /usr/bin/env python3 \n"));
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(v)) << why_cold(v);
  EXPECT_EQ(std::get<std::vector<std::string>>(v), (std::vector<std::string>{"/usr/bin/env", "python3"}));
}

TEST(WarmPythonOf, ShellScriptsNativeBinariesAndEmptyFilesGoCold) {
  TempDir dir;
  EXPECT_NE(why_cold(python_of(write(dir, "sh", "#!/usr/bin/env bash\nexec dbt \"$@\"\n"))).find("not run by Python"),
            std::string::npos);
  EXPECT_NE(why_cold(python_of(write(dir, "fusion", std::string("\x7f" "ELF\x02\x01\x01", 7) + "\n"))).find("dbt Fusion"),
            std::string::npos);
  EXPECT_NE(why_cold(python_of(write(dir, "empty", ""))).find("cannot be read"), std::string::npos);
  EXPECT_NE(why_cold(python_of(write(dir, "text", "print('hi')\n"))).find("not a Python script"), std::string::npos);
  EXPECT_NE(why_cold(python_of(dir.file("missing"))).find("cannot be read"), std::string::npos);
}

TEST(WarmFilesStamp, ChangesWhenAWatchedFileChanges) {
  TempDir dir;
  const std::string f = write(dir, "version.py", "__version__ = '1.11.0'\n");
  const std::string before = files_stamp({f});
  EXPECT_EQ(files_stamp({f}), before);
  write(dir, "version.py", "__version__ = '1.11.16'\n");
  EXPECT_NE(files_stamp({f}), before);
  std::filesystem::remove(f);
  EXPECT_NE(files_stamp({f}).find(":gone"), std::string::npos);
}

WorkerRequest request_for(const TempDir& dir, std::vector<std::string> interpreter) {
  WorkerRequest r;
  r.project_id = "p1";
  r.project_name = "shop";
  r.launch.argv = std::move(interpreter);
  r.launch.argv.push_back("/proc/self/fd/4");
  r.launch.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "DAGCTL_WARM_DIR=" + dir.path().string()};
  r.launch.cwd = dir.path().string();
  r.launch.log_path = dir.file("worker.log");
  return r;
}

TEST(WarmPool, OffMeansEveryRunIsCold) {
  PoolOptions o;
  o.enabled = false;
  Pool pool(o);
  TempDir dir;
  const auto got = pool.acquire(request_for(dir, {"python3"}));
  ASSERT_TRUE(std::holds_alternative<std::string>(got));
  EXPECT_NE(std::get<std::string>(got).find("--warm off"), std::string::npos);
}

TEST(WarmPool, AProjectCanOptOut) {
  Pool pool(PoolOptions{});
  TempDir dir;
  auto r = request_for(dir, {"python3"});
  r.project_warm = false;
  const auto got = pool.acquire(r);
  ASSERT_TRUE(std::holds_alternative<std::string>(got));
  EXPECT_NE(std::get<std::string>(got).find("warm: false"), std::string::npos);
}

// A real worker under a Python without dbt: it says so, the run goes cold, and status
// shows why; the same launch is not tried again for every run.
TEST(WarmPool, APythonWithoutDbtCoreGoesColdWithTheReason) {
  Pool pool(PoolOptions{});
  TempDir dir;
  const auto r = request_for(dir, {"/usr/bin/env", "python3"});
  const auto got = pool.acquire(r);
  ASSERT_TRUE(std::holds_alternative<std::string>(got));
  EXPECT_NE(std::get<std::string>(got).find("cannot import dbt-core"), std::string::npos) << std::get<std::string>(got);
  const auto described = pool.describe();
  ASSERT_EQ(described.size(), 1u);
  EXPECT_EQ(described[0].state, "cold");
  EXPECT_EQ(described[0].project_name, "shop");
  EXPECT_EQ(described[0].pid, 0);
  EXPECT_NE(described[0].reason.find("cannot import dbt-core"), std::string::npos);
  EXPECT_EQ(std::get<std::string>(pool.acquire(r)), std::get<std::string>(got)) << "remembered, not retried";
}

TEST(WarmPool, AnInterpreterThatDoesNotExistGoesCold) {
  Pool pool(PoolOptions{});
  TempDir dir;
  const auto got = pool.acquire(request_for(dir, {dir.file("no-such-python")}));
  ASSERT_TRUE(std::holds_alternative<std::string>(got));
  EXPECT_NE(std::get<std::string>(got).find("could not start"), std::string::npos) << std::get<std::string>(got);
}

TEST(WarmPool, AColdReasonFromTheExecutorPassesThrough) {
  Pool pool(PoolOptions{});
  TempDir dir;
  auto r = request_for(dir, {"python3"});
  r.cold_reason = "'dbt' is a native executable (dbt Fusion?): warm workers run dbt-core";
  EXPECT_EQ(std::get<std::string>(pool.acquire(r)), r.cold_reason);
  EXPECT_EQ(pool.describe().at(0).reason, r.cold_reason);
}

}  // namespace

// A worker whose project's code hangs in its parse never answers (here: a shell that reads
// nothing). A run handed to it must end when it is stopped or after the limit, and the
// worker must be killed: a run it forked later would go unsupervised.
namespace hung {

dagctl::daemon::runner::warm::WorkerLaunch silent_launch(const TempDir& dir) {
  dagctl::daemon::runner::warm::WorkerLaunch l;
  l.argv = {"/bin/sh", "-c", "exec sleep 300", "/proc/self/fd/4"};
  l.env = {"PATH=/usr/bin:/bin"};
  l.cwd = dir.path().string();
  l.log_path = dir.file("worker.log");
  return l;
}

bool dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  std::getline(stat, content);
  const auto close = content.rfind(')');
  return content.empty() || (close != std::string::npos && content.substr(close + 2, 1) == "Z");
}

}  // namespace hung

TEST(WarmWorker, AStopEndsTheWaitForAWorkerThatNeverStartsTheRun) {
  TempDir dir;
  auto started = Worker::start(hung::silent_launch(dir));
  ASSERT_TRUE(started) << started.error();
  auto worker = std::move(started).value();
  const dagctl::common::Fd stop(::eventfd(0, EFD_CLOEXEC));
  const dagctl::common::Fd output(::open(dir.file("out.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  // The stop is an eventfd that stays readable: requested before or during the wait, it ends it.
  const std::uint64_t one = 1;
  ASSERT_EQ(::write(stop.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  const auto t0 = std::chrono::steady_clock::now();
  auto run = worker->start_run("r1", {"run"}, {"PATH=/usr/bin:/bin"}, dir.path().string(), output.get(), stop.get(), 60s);
  ASSERT_FALSE(run);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << "the stop was not seen while the worker was silent";
  EXPECT_EQ(worker->state(), Worker::State::gone);
  worker->alive();
  EXPECT_TRUE(eventually([&] { return hung::dead(worker->pid()); }, 5s)) << "the silent worker was not killed";
}

TEST(WarmWorker, AWorkerThatDoesNotStartTheRunInTimeIsKilled) {
  TempDir dir;
  auto started = Worker::start(hung::silent_launch(dir));
  ASSERT_TRUE(started) << started.error();
  auto worker = std::move(started).value();
  const dagctl::common::Fd output(::open(dir.file("out.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  const auto t0 = std::chrono::steady_clock::now();
  auto run = worker->start_run("r1", {"run"}, {"PATH=/usr/bin:/bin"}, dir.path().string(), output.get(), -1, 500ms);
  ASSERT_FALSE(run);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(worker->state(), Worker::State::gone);
  EXPECT_TRUE(eventually([&] { return hung::dead(worker->pid()); }, 5s)) << "the silent worker was not killed";
}

TEST(WarmPool, AStopEndsTheWaitForAStartingWorkerWithoutMakingTheProjectCold) {
  PoolOptions o;
  o.ready_timeout = 60s;
  Pool pool(o);
  TempDir dir;
  WorkerRequest r;
  r.project_id = "p1";
  r.project_name = "shop";
  r.launch = hung::silent_launch(dir);
  const dagctl::common::Fd stop(::eventfd(0, EFD_CLOEXEC));
  const std::uint64_t one = 1;
  ASSERT_EQ(::write(stop.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  const auto t0 = std::chrono::steady_clock::now();
  const auto got = pool.acquire(r, stop.get());
  ASSERT_TRUE(std::holds_alternative<std::string>(got));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_NE(std::get<std::string>(got).find("stopped"), std::string::npos) << std::get<std::string>(got);
  const auto described = pool.describe();
  ASSERT_EQ(described.size(), 1u);
  EXPECT_NE(described[0].state, "cold") << "one stopped run does not make the project cold: " << described[0].reason;
}

namespace {

// A stand-in dbt-core package of version `version` (only the modules the worker imports).
void fake_dbt_core(const TempDir& dir, const std::string& version) {
  for (const char* d : {"site/dbt/cli", "site/dbt/adapters"}) std::filesystem::create_directories(dir.path() / d);
  write(dir, "site/dbt/__init__.py", "");
  write(dir, "site/dbt/version.py", "__version__ = '" + version + "'\n");
  write(dir, "site/dbt/cli/__init__.py", "");
  write(dir, "site/dbt/cli/main.py", "cli = None\n");
  write(dir, "site/dbt/cli/requires.py", "");
  write(dir, "site/dbt/adapters/__init__.py", "");
  write(dir, "site/dbt/adapters/factory.py", "");
}

// dbt-core outside the tested range (docs/runs.md#warm-workers) goes cold, saying which.
TEST(WarmPool, ADbtCoreOutsideTheTestedVersionsGoesCold) {
  Pool pool(PoolOptions{});
  TempDir dir;
  fake_dbt_core(dir, "1.9.4");
  auto r = request_for(dir, {"/usr/bin/env", "python3"});
  r.launch.env.push_back("PYTHONPATH=" + dir.file("site"));
  const auto got = pool.acquire(r);
  ASSERT_TRUE(std::holds_alternative<std::string>(got));
  EXPECT_NE(std::get<std::string>(got).find("dbt-core 1.9.4 is outside the versions warm workers are tested with"),
            std::string::npos)
      << std::get<std::string>(got);
}

}  // namespace
