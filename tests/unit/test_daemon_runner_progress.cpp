// Tests for daemon/runner/progress: `progress: {done, total}` of a running run, from dbt's
// JSON log lines (ProgressTracker) read from a file dbt appends to (LogFollower).
#include "daemon/runner/progress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using dagctl::daemon::runner::LogFollower;
using dagctl::daemon::runner::Progress;
using dagctl::daemon::runner::ProgressTracker;
using namespace dagctl::test;  // test_util.hpp

// ---- dbt 1.11 `--log-format json` lines (as dbt writes them: one JSON object a line) ----

std::string info(const std::string& name, const std::string& code, const std::string& msg,
                 const std::string& level = "info") {
  return R"("info": {"category": "", "code": ")" + code +
         R"(", "extra": {}, "invocation_id": "4c1e6a8e-7f0b-4a53-9a43-0b3f7c5d2e11", "level": ")" +
         level + R"(", "msg": ")" + msg + R"(", "name": ")" + name +
         R"J(", "pid": 41234, "thread": "Thread-1 (worker)", "ts": "2026-04-02T12:00:01.123456Z"})J";
}

std::string node_info(const std::string& model, const std::string& status) {
  return R"("node_info": {"materialized": "table", "meta": {}, "node_checksum": "9f2c", "node_finished_at": "", "node_name": ")" +
         model + R"(", "node_path": "marts/)" + model +
         R"(.sql", "node_relation": {"alias": ")" + model +
         R"(", "database": "shop", "relation_name": "\"shop\".\"main\".\")" + model +
         R"(\"", "schema": "main"}, "node_started_at": "2026-04-02T12:00:01.000000", "node_status": ")" +
         status + R"(", "resource_type": "model", "unique_id": "model.shop.)" + model + R"("})";
}

std::string main_report_version() {
  return "{" + info("MainReportVersion", "A001", "Running with dbt=1.11.0") +
         R"(, "data": {"log_version": 3, "version": "=1.11.0"}})";
}

std::string found_stats() {
  return "{" + info("FoundStats", "W006", "Found 12 models, 18 data tests, 3 seeds, 521 macros") +
         R"(, "data": {"stat_line": "12 models, 18 data tests, 3 seeds, 521 macros"}})";
}

std::string node_start(const std::string& model) {
  return "{" + info("NodeStart", "Q024", "Began running node model.shop." + model, "debug") +
         R"(, "data": {)" + node_info(model, "started") + "}}";
}

std::string log_start_line(const std::string& model, int index, int total) {
  return "{" + info("LogStartLine", "Q011", "1 of 30 START sql table model main." + model) +
         R"(, "data": {"description": "sql table model main.)" + model + R"(", "index": )" +
         std::to_string(index) + ", " + node_info(model, "started") +
         R"(, "total": )" + std::to_string(total) + "}}";
}

std::string log_model_result(const std::string& model, int index, int total) {
  return "{" + info("LogModelResult", "Q012", "1 of 30 OK created sql table model main." + model) +
         R"(, "data": {"description": "sql table model main.)" + model +
         R"(", "execution_time": 0.0521, "index": )" + std::to_string(index) + ", " +
         node_info(model, "success") + R"(, "status": "OK", "total": )" + std::to_string(total) + "}}";
}

std::string node_finished(const std::string& model) {
  return "{" + info("NodeFinished", "Q025", "Finished running node model.shop." + model, "debug") +
         R"(, "data": {)" + node_info(model, "success") +
         R"J(, "run_result": {"adapter_response": {"_message": "OK"}, "execution_time": 0.0521, "failures": null, "message": "OK", "status": "success", "thread": "Thread-1 (worker)", "timing": []}}})J";
}

std::string stats_line() {
  // Its "total" is nested in "stats", not a node count for the run's progress bar.
  return "{" + info("StatsLine", "Z023", "Done. PASS=29 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=30") +
         R"(, "data": {"stats": {"error": 1, "pass": 29, "skip": 0, "total": 500, "warn": 0}}})";
}

// Everything dbt logs around one node, in order.
std::vector<std::string> one_node(const std::string& model, int index, int total) {
  return {node_start(model), log_start_line(model, index, total), log_model_result(model, index, total),
          node_finished(model)};
}

Progress fed(ProgressTracker& t, const std::vector<std::string>& lines) {
  for (const auto& l : lines) t.feed_line(l);
  return t.current();
}

void expect_progress(Progress p, int done, int total) {
  EXPECT_EQ(p.done, done);
  EXPECT_EQ(p.total, total);
}

TEST(Progress, StartsAtZero) { expect_progress(ProgressTracker().current(), 0, 0); }

TEST(Progress, TotalComesFromTheFirstResultEventAndDoneFromNodeFinished) {
  ProgressTracker t;
  expect_progress(fed(t, {main_report_version(), found_stats()}), 0, 0);
  expect_progress(fed(t, {node_start("stg_orders")}), 0, 0);
  expect_progress(fed(t, {log_start_line("stg_orders", 1, 30)}), 0, 30);
  expect_progress(fed(t, {log_model_result("stg_orders", 1, 30)}), 0, 30);
  expect_progress(fed(t, {node_finished("stg_orders")}), 1, 30);
  expect_progress(fed(t, one_node("stg_customers", 2, 30)), 2, 30);
  expect_progress(fed(t, one_node("orders", 3, 30)), 3, 30);
}

TEST(Progress, CountsEveryNodeOfARun) {
  ProgressTracker t;
  t.feed_line(main_report_version());
  for (int i = 1; i <= 30; ++i) fed(t, one_node("m" + std::to_string(i), i, 30));
  expect_progress(t.current(), 30, 30);
}

TEST(Progress, SummaryStatsLineDoesNotChangeTheTotal) {
  ProgressTracker t;
  for (int i = 1; i <= 3; ++i) fed(t, one_node("m" + std::to_string(i), i, 3));
  expect_progress(fed(t, {stats_line()}), 3, 3);
}

TEST(Progress, DoneNeverExceedsTotal) {
  // Without a result event yet (e.g. a log line lost), total follows done.
  ProgressTracker t;
  expect_progress(fed(t, {node_finished("a"), node_finished("b")}), 2, 2);
  expect_progress(fed(t, {log_start_line("c", 3, 10)}), 2, 10);
}

TEST(Progress, IgnoresGarbageAndPartialLines) {
  ProgressTracker t;
  fed(t, {log_start_line("a", 1, 5)});
  const std::string finished = node_finished("a");
  const std::string started = log_start_line("b", 2, 99);
  expect_progress(
      fed(t, {"", "   ", "not json at all", "12:00:01  Running with dbt=1.11.0",
              "12:00:02  1 of 5 OK created sql table model main.a ... [OK in 0.05s] NodeFinished",
              finished.substr(0, finished.size() / 2),            // the first half of a line
              finished.substr(finished.size() / 2),               // the second half
              started.substr(0, started.size() - 3),              // cut before its end
              R"(["NodeFinished", {"total": 40}])",               // JSON, not an object
              R"({"info": "NodeFinished", "data": {"total": 41}})",  // info not an object
              R"({"info": {"name": "NodeFinished"}, "data": "x"})",  // data not an object
              R"({"info": {"name": "LogStartLine"}, "data": {"total": "42"}})",  // total a string
              R"({"info": {"name": "LogStartLine"}, "data": {"total": 4.5e1}})"}),  // not an integer
      0, 5);
}

// A JSON line whose info.name is not a string is ignored like any other garbage.
TEST(Progress, LineWithNonStringEventNameIsIgnored) {
  ProgressTracker t;
  EXPECT_NO_THROW(t.feed_line(R"({"info": {"name": 42}, "data": {"index": 1, "total": 3}})"));
  EXPECT_NO_THROW(t.feed_line(R"({"info": {"name": null, "msg": "NodeFinished"}, "data": {}})"));
  EXPECT_EQ(t.current().done, 0);
}

TEST(Progress, DebugLineMentioningNodeFinishedIsNotANode) {
  ProgressTracker t;
  const std::string debug = "{" + info("DebugCmdOut", "Z046", "NodeFinished for model.shop.a", "debug") +
                            R"(, "data": {"msg": "NodeFinished \"total\": 3"}})";
  expect_progress(fed(t, {debug}), 0, 0);
}

// ---- LogFollower over a real file ----

// Appends like dbt does: write(2) on an O_APPEND descriptor, no buffering left behind.
void append(const fs::path& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  size_t off = 0;
  while (off < text.size()) {
    const auto n = ::write(fd, text.data() + off, text.size() - off);
    ASSERT_GT(n, 0);
    off += static_cast<size_t>(n);
  }
  ::close(fd);
}

std::string lines(const std::vector<std::string>& ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

TEST(LogFollower, MissingFileIsNotAnErrorAndIsPickedUpOnceCreated) {
  TempDir dir;
  const auto file = dir.path() / "dbt.log";
  LogFollower follower(file.string());
  ProgressTracker t;
  follower.poll(t);
  follower.poll(t);
  expect_progress(t.current(), 0, 0);
  append(file, lines(one_node("a", 1, 4)));
  follower.poll(t);
  expect_progress(t.current(), 1, 4);
}

TEST(LogFollower, ReadsWhatIsAppendedInStepsIncludingALineSplitAcrossAppends) {
  TempDir dir;
  const auto file = dir.path() / "dbt.log";
  LogFollower follower(file.string());
  ProgressTracker t;

  append(file, lines({main_report_version(), found_stats(), node_start("a"), log_start_line("a", 1, 3)}));
  follower.poll(t);
  expect_progress(t.current(), 0, 3);

  // dbt is in the middle of writing NodeFinished for "a": half of the line is there.
  const std::string finished_a = node_finished("a");
  const size_t cut = finished_a.find("NodeFinished") + 4;  // cut inside the event's name
  append(file, lines({log_model_result("a", 1, 3)}) + finished_a.substr(0, cut));
  follower.poll(t);
  expect_progress(t.current(), 0, 3);
  follower.poll(t);  // nothing new
  expect_progress(t.current(), 0, 3);

  // The rest of the line, then a whole node.
  append(file, finished_a.substr(cut) + "\n" + lines(one_node("b", 2, 3)));
  follower.poll(t);
  expect_progress(t.current(), 2, 3);

  // A line whose newline comes in the next append.
  append(file, node_finished("c"));
  follower.poll(t);
  expect_progress(t.current(), 2, 3);
  append(file, "\n");
  follower.poll(t);
  expect_progress(t.current(), 3, 3);

  // Polling again reads nothing twice.
  follower.poll(t);
  follower.poll(t);
  expect_progress(t.current(), 3, 3);
}

TEST(LogFollower, ReadsMoreThanOneBufferAtOnce) {
  // A burst far larger than the follower's read buffer, with lines across buffer ends.
  TempDir dir;
  const auto file = dir.path() / "dbt.log";
  std::string burst;
  const int nodes = 600;  // about 1.2 MB
  for (int i = 1; i <= nodes; ++i) burst += lines(one_node("model_" + std::to_string(i), i, nodes));
  ASSERT_GT(burst.size(), 4u * 64 * 1024);
  append(file, burst);

  LogFollower follower(file.string());
  ProgressTracker t;
  follower.poll(t);
  expect_progress(t.current(), nodes, nodes);
}

TEST(LogFollower, FollowerOpenedBeforeDbtWritesSeesEverything) {
  TempDir dir;
  const auto file = dir.path() / "dbt.log";
  append(file, "");  // dbt created the file, nothing in it yet
  LogFollower follower(file.string());
  ProgressTracker t;
  follower.poll(t);
  expect_progress(t.current(), 0, 0);
  for (int i = 1; i <= 5; ++i) {
    append(file, lines(one_node("m" + std::to_string(i), i, 5)));
    follower.poll(t);
    expect_progress(t.current(), i, 5);
  }
}

}  // namespace
