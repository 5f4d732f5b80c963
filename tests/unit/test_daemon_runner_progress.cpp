// Tests for daemon/runner/progress: a run's `progress` (phase, done/total, running nodes),
// from dbt's JSON log lines (ProgressTracker) read from a file dbt appends to (LogFollower).
#include "daemon/runner/progress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/time.hpp"
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

// ---- Real dbt lines: dbt 1.11.16 `dbt build` of examples/shop (threads: 4, calendar slowed
// with --vars '{slow_seconds: 3}'), and `dbt run --select nonexistent`. A chosen subset, in
// the order dbt wrote them, trimmed: node_checksum/node_relation/meta, timing_info and
// adapter_response, invocation_id and all but one result of EndRunResult are cut.

const std::vector<std::string> kShopBuild = {
    /*  0 MainReportVersion */ R"dbt({"data": {"log_version": 3, "version": "=1.11.16"}, "info": {"category": "", "code": "A001", "extra": {}, "level": "info", "msg": "Running with dbt=1.11.16", "name": "MainReportVersion", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:36.815777Z"}})dbt",
    /*  1 UnableToPartialParse */ R"dbt({"data": {"reason": "saved manifest not found. Starting full parse."}, "info": {"category": "", "code": "I024", "extra": {}, "level": "info", "msg": "Unable to do partial parsing because saved manifest not found. Starting full parse.", "name": "UnableToPartialParse", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:37.675820Z"}})dbt",
    /*  2 FoundStats */ R"dbt({"data": {"stat_line": "7 models, 20 data tests, 3 seeds, 512 macros"}, "info": {"category": "", "code": "W006", "extra": {}, "level": "info", "msg": "Found 7 models, 20 data tests, 3 seeds, 512 macros", "name": "FoundStats", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:41.603684Z"}})dbt",
    /*  3 ConcurrencyLine */ R"dbt({"data": {"node_count": 30, "num_threads": 4, "target_name": "dev"}, "info": {"category": "", "code": "Q027", "extra": {}, "level": "info", "msg": "Concurrency: 4 threads (target='dev')", "name": "ConcurrencyLine", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:41.611839Z"}})dbt",
    /*  4 NodeStart */ R"dbt({"data": {"node_info": {"materialized": "table", "node_finished_at": "", "node_name": "calendar", "node_path": "utils/calendar.py", "node_started_at": "2026-12-06T21:25:41.897160", "node_status": "started", "resource_type": "model", "unique_id": "model.shop.calendar"}}, "info": {"category": "", "code": "Q024", "extra": {}, "level": "debug", "msg": "Began running node model.shop.calendar", "name": "NodeStart", "pid": 20584, "thread": "Thread-1 (worker)", "ts": "2026-12-06T21:25:41.897326Z"}})dbt",
    /*  5 LogStartLine */ R"dbt({"data": {"description": "python table model main.calendar", "index": 1, "node_info": {"materialized": "table", "node_finished_at": "", "node_name": "calendar", "node_path": "utils/calendar.py", "node_started_at": "2026-12-06T21:25:41.897160", "node_status": "started", "resource_type": "model", "unique_id": "model.shop.calendar"}, "total": 30}, "info": {"category": "", "code": "Q011", "extra": {}, "level": "info", "msg": "1 of 30 START python table model main.calendar ................................. [RUN]", "name": "LogStartLine", "pid": 20584, "thread": "Thread-1 (worker)", "ts": "2026-12-06T21:25:41.902168Z"}})dbt",
    /*  6 NodeStart */ R"dbt({"data": {"node_info": {"materialized": "seed", "node_finished_at": "", "node_name": "books", "node_path": "books.csv", "node_started_at": "2026-12-06T21:25:41.902498", "node_status": "started", "resource_type": "seed", "unique_id": "seed.shop.books"}}, "info": {"category": "", "code": "Q024", "extra": {}, "level": "debug", "msg": "Began running node seed.shop.books", "name": "NodeStart", "pid": 20584, "thread": "Thread-2 (worker)", "ts": "2026-12-06T21:25:41.902645Z"}})dbt",
    /*  7 NodeStart */ R"dbt({"data": {"node_info": {"materialized": "seed", "node_finished_at": "", "node_name": "sales", "node_path": "sales.csv", "node_started_at": "2026-12-06T21:25:41.903449", "node_status": "started", "resource_type": "seed", "unique_id": "seed.shop.sales"}}, "info": {"category": "", "code": "Q024", "extra": {}, "level": "debug", "msg": "Began running node seed.shop.sales", "name": "NodeStart", "pid": 20584, "thread": "Thread-3 (worker)", "ts": "2026-12-06T21:25:41.903530Z"}})dbt",
    /*  8 NodeFinished */ R"dbt({"data": {"node_info": {"materialized": "seed", "node_finished_at": "2026-12-06T21:25:42.303543", "node_name": "books", "node_path": "books.csv", "node_started_at": "2026-12-06T21:25:41.902498", "node_status": "success", "resource_type": "seed", "unique_id": "seed.shop.books"}, "run_result": {"execution_time": 0.38385558, "message": "INSERT 8", "num_failures": 0, "status": "success", "thread": "Thread-2 (worker)"}}, "info": {"category": "", "code": "Q025", "extra": {}, "level": "debug", "msg": "Finished running node seed.shop.books", "name": "NodeFinished", "pid": 20584, "thread": "Thread-2 (worker)", "ts": "2026-12-06T21:25:42.305473Z"}})dbt",
    /*  9 LogSeedResult */ R"dbt({"data": {"execution_time": 0.38385558, "index": 2, "node_info": {"materialized": "seed", "node_finished_at": "2026-12-06T21:25:42.303543", "node_name": "books", "node_path": "books.csv", "node_started_at": "2026-12-06T21:25:41.902498", "node_status": "success", "resource_type": "seed", "unique_id": "seed.shop.books"}, "relation": "books", "result_message": "INSERT 8", "schema": "main", "status": "success", "total": 30}, "info": {"category": "", "code": "Q016", "extra": {}, "level": "info", "msg": "2 of 30 OK loaded seed file main.books ......................................... [\u001b[32mINSERT 8\u001b[0m in 0.38s]", "name": "LogSeedResult", "pid": 20584, "thread": "Thread-2 (worker)", "ts": "2026-12-06T21:25:42.304771Z"}})dbt",
    /* 10 NodeStart */ R"dbt({"data": {"node_info": {"materialized": "view", "node_finished_at": "", "node_name": "stg_stores", "node_path": "staging/stg_stores.sql", "node_started_at": "2026-12-06T21:25:42.322402", "node_status": "started", "resource_type": "model", "unique_id": "model.shop.stg_stores"}}, "info": {"category": "", "code": "Q024", "extra": {}, "level": "debug", "msg": "Began running node model.shop.stg_stores", "name": "NodeStart", "pid": 20584, "thread": "Thread-4 (worker)", "ts": "2026-12-06T21:25:42.322509Z"}})dbt",
    /* 11 NodeStart */ R"dbt({"data": {"node_info": {"materialized": "view", "node_finished_at": "", "node_name": "stg_books", "node_path": "staging/stg_books.sql", "node_started_at": "2026-12-06T21:25:42.311651", "node_status": "started", "resource_type": "model", "unique_id": "model.shop.stg_books"}}, "info": {"category": "", "code": "Q024", "extra": {}, "level": "debug", "msg": "Began running node model.shop.stg_books", "name": "NodeStart", "pid": 20584, "thread": "Thread-3 (worker)", "ts": "2026-12-06T21:25:42.311769Z"}})dbt",
    /* 12 NodeFinished */ R"dbt({"data": {"node_info": {"materialized": "seed", "node_finished_at": "2026-12-06T21:25:42.301795", "node_name": "sales", "node_path": "sales.csv", "node_started_at": "2026-12-06T21:25:41.903449", "node_status": "success", "resource_type": "seed", "unique_id": "seed.shop.sales"}, "run_result": {"execution_time": 0.34360886, "message": "INSERT 18", "num_failures": 0, "status": "success", "thread": "Thread-3 (worker)"}}, "info": {"category": "", "code": "Q025", "extra": {}, "level": "debug", "msg": "Finished running node seed.shop.sales", "name": "NodeFinished", "pid": 20584, "thread": "Thread-3 (worker)", "ts": "2026-12-06T21:25:42.309599Z"}})dbt",
    /* 13 NodeFinished */ R"dbt({"data": {"node_info": {"materialized": "table", "node_finished_at": "2026-12-06T21:25:45.364061", "node_name": "calendar", "node_path": "utils/calendar.py", "node_started_at": "2026-12-06T21:25:41.897160", "node_status": "success", "resource_type": "model", "unique_id": "model.shop.calendar"}, "run_result": {"execution_time": 3.459702, "message": "OK", "num_failures": 0, "status": "success", "thread": "Thread-1 (worker)"}}, "info": {"category": "", "code": "Q025", "extra": {}, "level": "debug", "msg": "Finished running node model.shop.calendar", "name": "NodeFinished", "pid": 20584, "thread": "Thread-1 (worker)", "ts": "2026-12-06T21:25:45.364977Z"}})dbt",
    /* 14 LogModelResult */ R"dbt({"data": {"description": "python table model main.calendar", "execution_time": 3.459702, "index": 1, "node_info": {"materialized": "table", "node_finished_at": "2026-12-06T21:25:45.364061", "node_name": "calendar", "node_path": "utils/calendar.py", "node_started_at": "2026-12-06T21:25:41.897160", "node_status": "success", "resource_type": "model", "unique_id": "model.shop.calendar"}, "status": "OK", "total": 30}, "info": {"category": "", "code": "Q012", "extra": {}, "level": "info", "msg": "1 of 30 OK created python table model main.calendar ............................ [\u001b[32mOK\u001b[0m in 3.46s]", "name": "LogModelResult", "pid": 20584, "thread": "Thread-1 (worker)", "ts": "2026-12-06T21:25:45.364452Z"}})dbt",
    /* 15 FinishedRunningStats */ R"dbt({"data": {"execution": " in 0 hours 0 minutes and 3.90 seconds", "execution_time": 3.8969615, "stat_line": "3 seeds, 4 table models, 20 data tests, 3 view models"}, "info": {"category": "", "code": "E047", "extra": {}, "level": "info", "msg": "Finished running 3 seeds, 4 table models, 20 data tests, 3 view models in 0 hours 0 minutes and 3.90 seconds (3.90s).", "name": "FinishedRunningStats", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:45.509749Z"}})dbt",
    /* 16 EndRunResult */ R"dbt({"data": {"elapsed_time": 3.8969615, "generated_at": "2026-12-06T21:25:45Z", "results": [{"execution_time": 0.38385558, "message": "INSERT 8", "num_failures": 0, "status": "success", "thread": "Thread-2 (worker)"}], "success": true}, "info": {"category": "", "code": "Q037", "extra": {}, "level": "debug", "msg": "Command end result", "name": "EndRunResult", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:45.512794Z"}})dbt",
    /* 17 StatsLine */ R"dbt({"data": {"stats": {"error": 0, "noop": 0, "pass": 30, "skip": 0, "total": 30, "warn": 0}}, "info": {"category": "", "code": "Z023", "extra": {}, "level": "info", "msg": "Done. PASS=30 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=30", "name": "StatsLine", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:45.861058Z"}})dbt",
    /* 18 CommandCompleted */ R"dbt({"data": {"command": "dbt build", "completed_at": "2026-12-06T21:25:45.862599Z", "elapsed": 9.152446, "success": true}, "info": {"category": "", "code": "Q039", "extra": {}, "level": "debug", "msg": "Command `dbt build` succeeded at 21:25:45.862599 after 9.15 seconds", "name": "CommandCompleted", "pid": 20584, "thread": "MainThread", "ts": "2026-12-06T21:25:45.862689Z"}})dbt",
};
const std::vector<std::string> kNothingSelected = {
    /* 0 MainReportVersion */ R"dbt({"data": {"log_version": 3, "version": "=1.11.16"}, "info": {"category": "", "code": "A001", "extra": {}, "level": "info", "msg": "Running with dbt=1.11.16", "name": "MainReportVersion", "pid": 22545, "thread": "MainThread", "ts": "2026-12-06T21:27:43.898616Z"}})dbt",
    /* 1 FoundStats */ R"dbt({"data": {"stat_line": "7 models, 20 data tests, 3 seeds, 512 macros"}, "info": {"category": "", "code": "W006", "extra": {}, "level": "info", "msg": "Found 7 models, 20 data tests, 3 seeds, 512 macros", "name": "FoundStats", "pid": 22545, "thread": "MainThread", "ts": "2026-12-06T21:28:12.218417Z"}})dbt",
    /* 2 NoNodesForSelectionCriteria */ R"dbt({"data": {"spec_raw": "nonexistent"}, "info": {"category": "", "code": "M030", "extra": {}, "level": "warn", "msg": "The selection criterion 'nonexistent' does not match any enabled nodes", "name": "NoNodesForSelectionCriteria", "pid": 22545, "thread": "MainThread", "ts": "2026-12-06T21:28:12.219501Z"}})dbt",
    /* 3 NothingToDo */ R"dbt({"data": {}, "info": {"category": "", "code": "Q035", "extra": {}, "level": "warn", "msg": "Nothing to do. Try checking your model configs and model specification args", "name": "NothingToDo", "pid": 22545, "thread": "MainThread", "ts": "2026-12-06T21:28:12.220781Z"}})dbt",
    /* 4 EndRunResult */ R"dbt({"data": {"elapsed_time": 0.0, "generated_at": "2026-12-06T21:28:12Z", "results": [], "success": true}, "info": {"category": "", "code": "Q037", "extra": {}, "level": "debug", "msg": "Command end result", "name": "EndRunResult", "pid": 22545, "thread": "MainThread", "ts": "2026-12-06T21:28:12.221281Z"}})dbt",
    /* 5 CommandCompleted */ R"dbt({"data": {"command": "dbt run", "completed_at": "2026-12-06T21:28:12.703128Z", "elapsed": 29.513462, "success": true}, "info": {"category": "", "code": "Q039", "extra": {}, "level": "debug", "msg": "Command `dbt run` succeeded at 21:28:12.703128 after 29.51 seconds", "name": "CommandCompleted", "pid": 22545, "thread": "MainThread", "ts": "2026-12-06T21:28:12.703339Z"}})dbt",
};

using dagctl::daemon::runner::Phase;
using dagctl::daemon::runner::RunningNode;

Progress fed_upto(ProgressTracker& t, const std::vector<std::string>& lines, size_t& next, size_t last) {
  for (; next <= last; ++next) t.feed_line(lines[next]);
  return t.current();
}

std::vector<std::string> running_ids(const Progress& p) {
  std::vector<std::string> ids;
  for (const auto& n : p.running) ids.push_back(n.unique_id);
  return ids;
}

dagctl::common::TimePoint at(const std::string& rfc3339) { return *dagctl::common::parse_rfc3339(rfc3339); }

TEST(ProgressOfRealDbt, PhasesFollowDbtsEvents) {
  ProgressTracker t;
  size_t next = 0;
  EXPECT_EQ(t.current().phase, Phase::starting) << "spawned, nothing logged";
  EXPECT_EQ(fed_upto(t, kShopBuild, next, 0).phase, Phase::parsing) << "MainReportVersion";
  EXPECT_EQ(fed_upto(t, kShopBuild, next, 1).phase, Phase::parsing) << "UnableToPartialParse";
  EXPECT_EQ(fed_upto(t, kShopBuild, next, 2).phase, Phase::running) << "FoundStats";
  auto p = fed_upto(t, kShopBuild, next, 3);
  EXPECT_EQ(p.total, 30) << "ConcurrencyLine's node_count";
  EXPECT_EQ(p.done, 0);
  p = fed_upto(t, kShopBuild, next, 14);
  EXPECT_EQ(p.phase, Phase::running);
  EXPECT_EQ(p.done, 3);
  p = fed_upto(t, kShopBuild, next, 15);
  EXPECT_EQ(p.phase, Phase::finishing) << "FinishedRunningStats";
  EXPECT_TRUE(p.running.empty()) << "stg_books and stg_stores finish in lines not fed here";
  p = fed_upto(t, kShopBuild, next, kShopBuild.size() - 1);
  EXPECT_EQ(p.phase, Phase::finishing);
  EXPECT_EQ(p.total, 30) << "StatsLine's nested total is not the node count";
  EXPECT_EQ(p.done, 3);
}

TEST(ProgressOfRealDbt, RunningNodesAreThoseStartedAndNotFinishedOldestFirst) {
  ProgressTracker t;
  size_t next = 0;
  auto p = fed_upto(t, kShopBuild, next, 4);
  ASSERT_EQ(p.running.size(), 1u);
  EXPECT_EQ(p.running[0], (RunningNode{"model.shop.calendar", "calendar", "model", at("2026-12-06T21:25:41.897Z")}))
      << "started_at is the event's info.ts";
  EXPECT_EQ(running_ids(fed_upto(t, kShopBuild, next, 7)),
            (std::vector<std::string>{"model.shop.calendar", "seed.shop.books", "seed.shop.sales"}));
  EXPECT_EQ(running_ids(fed_upto(t, kShopBuild, next, 9)),
            (std::vector<std::string>{"model.shop.calendar", "seed.shop.sales"}));
  // dbt logged stg_books' NodeStart (21:25:42.311) after stg_stores' (21:25:42.322).
  p = fed_upto(t, kShopBuild, next, 11);
  EXPECT_EQ(running_ids(p), (std::vector<std::string>{"model.shop.calendar", "seed.shop.sales",
                                                      "model.shop.stg_books", "model.shop.stg_stores"}));
  EXPECT_EQ(p.running[2].started_at, at("2026-12-06T21:25:42.311Z"));
  EXPECT_EQ(p.running[3].resource_type, "model");
  EXPECT_EQ(p.running[3].name, "stg_stores");
  EXPECT_EQ(running_ids(fed_upto(t, kShopBuild, next, 13)),
            (std::vector<std::string>{"model.shop.stg_books", "model.shop.stg_stores"}));
  EXPECT_EQ(t.current().done, 3);
}

TEST(ProgressOfRealDbt, NothingSelectedEndsWithoutNodes) {
  ProgressTracker t;
  size_t next = 0;
  EXPECT_EQ(fed_upto(t, kNothingSelected, next, 0).phase, Phase::parsing);
  EXPECT_EQ(fed_upto(t, kNothingSelected, next, 2).phase, Phase::running) << "FoundStats";
  const auto p = fed_upto(t, kNothingSelected, next, 3);
  EXPECT_EQ(p.phase, Phase::finishing) << "NothingToDo";
  EXPECT_EQ(p.done, 0);
  EXPECT_EQ(p.total, 0);
  EXPECT_EQ(fed_upto(t, kNothingSelected, next, kNothingSelected.size() - 1).phase, Phase::finishing);
}

TEST(ProgressOfRealDbt, PhaseNeverGoesBackAndNothingStartsWhenFinishing) {
  ProgressTracker t;
  t.feed_line(kShopBuild[15]);  // FinishedRunningStats
  t.feed_line(kShopBuild[0]);   // MainReportVersion
  t.feed_line(kShopBuild[4]);   // NodeStart
  EXPECT_EQ(t.current().phase, Phase::finishing);
  EXPECT_TRUE(t.current().running.empty());
}

TEST(ProgressOfRealDbt, GarbageDoesNotCountAsDbtHavingStarted) {
  ProgressTracker t;
  t.feed_line("");
  t.feed_line("Traceback (most recent call last):");
  t.feed_line(R"({"info": {"msg": "no name"}, "data": {}})");
  EXPECT_EQ(t.current().phase, Phase::starting);
}

TEST(ProgressOfRealDbt, StartTimeFallsBackToNodeStartedAt) {
  std::string line = kShopBuild[4];
  const std::string ts = R"("ts": "2026-12-06T21:25:41.897326Z")";
  line.replace(line.find(ts), ts.size(), R"("ts": 12)");
  ProgressTracker t;
  t.feed_line(line);
  ASSERT_EQ(t.current().running.size(), 1u);
  EXPECT_EQ(t.current().running[0].started_at, at("2026-12-06T21:25:41.897Z")) << "node_started_at, UTC";
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
