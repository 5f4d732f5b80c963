// Tests for daemon/runner/node_records: node records from real dbt 1.11 log lines (from a
// `dbt build --vars '{scenario: partial}'` of examples/shop), from run_results.json, and
// the run_results.json `dbt retry` gets for a run that left none (docs/runs.md, Node records).
#include "daemon/runner/node_records.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace runner = dagctl::daemon::runner;
using dagctl::common::to_rfc3339;
using dagctl::daemon::store::NodeRecord;

// NodeStart of the Python model `calendar`.
const std::string kStart = R"json({"data": {"node_info": {"materialized": "table", "meta": {}, "node_checksum": "1b4b7d107cf7c7974477b06d31c422fe56f693ef67183b1462930f6e7082f1c0", "node_finished_at": "", "node_name": "calendar", "node_path": "utils/calendar.py", "node_relation": {"alias": "calendar", "database": "shop", "relation_name": "\"shop\".\"main\".\"calendar\"", "schema": "main"}, "node_started_at": "2026-12-07T00:35:08.894709", "node_status": "started", "resource_type": "model", "unique_id": "model.shop.calendar"}}, "info": {"category": "", "code": "Q024", "extra": {}, "invocation_id": "9caf71fa-660f-4f47-9999-1c94c910e64d", "level": "debug", "msg": "Began running node model.shop.calendar", "name": "NodeStart", "pid": 6772, "thread": "Thread-1 (worker)", "ts": "2026-12-07T00:35:08.894846Z"}})json";
// NodeFinished of `fct_sales`, which errors.
const std::string kError = R"json({"data": {"node_info": {"materialized": "table", "meta": {}, "node_checksum": "a858241ef5d2904c50a5e38673b945b0ff82d3cd4abab94f9fbf662760f786f1", "node_finished_at": "2026-12-07T00:35:10.665885", "node_name": "fct_sales", "node_path": "marts/fct_sales.sql", "node_relation": {"alias": "fct_sales", "database": "shop", "relation_name": "\"shop\".\"main\".\"fct_sales\"", "schema": "main"}, "node_started_at": "2026-12-07T00:35:10.530486", "node_status": "error", "resource_type": "model", "unique_id": "model.shop.fct_sales"}, "run_result": {"adapter_response": {}, "execution_time": 0.13405728, "message": "Runtime Error in model fct_sales (models/marts/fct_sales.sql)\n  Binder Error: Values list \"s\" does not have a column named \"book_ref\"\n  \n  LINE 24: join \"shop\".\"main\".\"stg_books\"  as b  on b.book_id = s.book_ref\n                                                                ^^^^^^^^^^", "num_failures": 0, "status": "error", "thread": "Thread-2 (worker)", "timing_info": [{"completed_at": "2026-12-07T00:35:10.545540Z", "name": "compile", "started_at": "2026-12-07T00:35:10.532596Z"}, {"completed_at": "2026-12-07T00:35:10.641413Z", "name": "execute", "started_at": "2026-12-07T00:35:10.558346Z"}]}}, "info": {"category": "", "code": "Q025", "extra": {}, "invocation_id": "9caf71fa-660f-4f47-9999-1c94c910e64d", "level": "debug", "msg": "Finished running node model.shop.fct_sales", "name": "NodeFinished", "pid": 6772, "thread": "Thread-2 (worker)", "ts": "2026-12-07T00:35:10.691412Z"}})json";
// NodeFinished of the seed `books`: 8 rows.
const std::string kSeed = R"json({"data": {"node_info": {"materialized": "seed", "meta": {}, "node_checksum": "adb292bbbcb3f3db201020e2a6e93b6d36f44c32ceba4be0a37a75d024d23e88", "node_finished_at": "2026-12-07T00:35:09.544866", "node_name": "books", "node_path": "books.csv", "node_relation": {"alias": "books", "database": "shop", "relation_name": "\"shop\".\"main\".\"books\"", "schema": "main"}, "node_started_at": "2026-12-07T00:35:08.903106", "node_status": "success", "resource_type": "seed", "unique_id": "seed.shop.books"}, "run_result": {"adapter_response": {"_message": "INSERT 8", "code": "INSERT", "rows_affected": 8.0}, "execution_time": 0.6407571, "message": "INSERT 8", "num_failures": 0, "status": "success", "thread": "Thread-2 (worker)", "timing_info": [{"completed_at": "2026-12-07T00:35:08.904816Z", "name": "compile", "started_at": "2026-12-07T00:35:08.904811Z"}, {"completed_at": "2026-12-07T00:35:09.544037Z", "name": "execute", "started_at": "2026-12-07T00:35:08.905121Z"}]}}, "info": {"category": "", "code": "Q025", "extra": {}, "invocation_id": "9caf71fa-660f-4f47-9999-1c94c910e64d", "level": "debug", "msg": "Finished running node seed.shop.books", "name": "NodeFinished", "pid": 6772, "thread": "Thread-2 (worker)", "ts": "2026-12-07T00:35:09.545806Z"}})json";
// NodeFinished of a test skipped because fct_sales failed.
const std::string kSkipped = R"json({"data": {"node_info": {"materialized": "test", "meta": {}, "node_checksum": "", "node_finished_at": "", "node_name": "not_null_fct_sales_line_amount", "node_path": "not_null_fct_sales_line_amount.sql", "node_relation": {"alias": "not_null_fct_sales_line_amount", "database": "shop", "relation_name": "", "schema": "main_dbt_test__audit"}, "node_started_at": "2026-12-07T00:35:10.695348", "node_status": "skipped", "resource_type": "test", "unique_id": "test.shop.not_null_fct_sales_line_amount.cb92fc53bd"}, "run_result": {"adapter_response": {}, "execution_time": 0.0, "message": "", "num_failures": 0, "status": "skipped", "thread": "Thread-1 (worker)", "timing_info": []}}, "info": {"category": "", "code": "Q025", "extra": {}, "invocation_id": "9caf71fa-660f-4f47-9999-1c94c910e64d", "level": "debug", "msg": "Finished running node test.shop.not_null_fct_sales_line_amount.cb92fc53bd", "name": "NodeFinished", "pid": 6772, "thread": "Thread-1 (worker)", "ts": "2026-12-07T00:35:10.699515Z"}})json";
// NodeFinished of the singular test that fails in `--vars '{scenario: bad_data}'`.
const std::string kFail = R"json({"data": {"node_info": {"materialized": "test", "meta": {}, "node_checksum": "69808501b34e8147c1b00c6f2b9e8bf7b2fc99d25ecb0b14bff230cd7d3a1a4c", "node_finished_at": "2026-12-07T00:40:36.880910", "node_name": "assert_sale_quantity_positive", "node_path": "assert_sale_quantity_positive.sql", "node_relation": {"alias": "assert_sale_quantity_positive", "database": "shop", "relation_name": "", "schema": "main_dbt_test__audit"}, "node_started_at": "2026-12-07T00:40:36.702341", "node_status": "fail", "resource_type": "test", "unique_id": "test.shop.assert_sale_quantity_positive"}, "run_result": {"adapter_response": {"_message": "OK"}, "execution_time": 0.17746377, "message": "Got 1 result, configured to fail if != 0", "num_failures": 1, "status": "fail", "thread": "Thread-1 (worker)", "timing_info": [{"completed_at": "2026-12-07T00:40:36.794353Z", "name": "compile", "started_at": "2026-12-07T00:40:36.704248Z"}, {"completed_at": "2026-12-07T00:40:36.879555Z", "name": "execute", "started_at": "2026-12-07T00:40:36.794981Z"}]}}, "info": {"category": "", "code": "Q025", "extra": {}, "invocation_id": "88c7c691-a089-4b25-beef-bc413da192c9", "level": "debug", "msg": "Finished running node test.shop.assert_sale_quantity_positive", "name": "NodeFinished", "pid": 12676, "thread": "Thread-1 (worker)", "ts": "2026-12-07T00:40:36.881738Z"}})json";
// NodeFinished of a passing test.
const std::string kPass = R"json({"data": {"node_info": {"materialized": "test", "meta": {}, "node_checksum": "", "node_finished_at": "2026-12-07T00:35:10.078516", "node_name": "unique_stg_sales_sale_id", "node_path": "unique_stg_sales_sale_id.sql", "node_relation": {"alias": "unique_stg_sales_sale_id", "database": "shop", "relation_name": "", "schema": "main_dbt_test__audit"}, "node_started_at": "2026-12-07T00:35:09.871976", "node_status": "pass", "resource_type": "test", "unique_id": "test.shop.unique_stg_sales_sale_id.8a4f7c9521"}, "run_result": {"adapter_response": {"_message": "OK"}, "execution_time": 0.20368147, "message": "", "num_failures": 0, "status": "pass", "thread": "Thread-1 (worker)", "timing_info": [{"completed_at": "2026-12-07T00:35:09.939401Z", "name": "compile", "started_at": "2026-12-07T00:35:09.875709Z"}, {"completed_at": "2026-12-07T00:35:10.072858Z", "name": "execute", "started_at": "2026-12-07T00:35:09.940067Z"}]}}, "info": {"category": "", "code": "Q025", "extra": {}, "invocation_id": "9caf71fa-660f-4f47-9999-1c94c910e64d", "level": "debug", "msg": "Finished running node test.shop.unique_stg_sales_sale_id.8a4f7c9521", "name": "NodeFinished", "pid": 6772, "thread": "Thread-1 (worker)", "ts": "2026-12-07T00:35:10.079555Z"}})json";

TEST(NodeRecords, NodeStartIsARunningNodeWithItsThreadAndStart) {
  const auto r = runner::node_record_from_log_line(kStart);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->unique_id, "model.shop.calendar");
  EXPECT_EQ(r->name, "calendar");
  EXPECT_EQ(r->resource_type, "model");
  EXPECT_EQ(r->status, "running");
  ASSERT_TRUE(r->started_at.has_value());
  EXPECT_EQ(to_rfc3339(*r->started_at), "2026-12-07T00:35:08.894Z");
  EXPECT_FALSE(r->finished_at.has_value());
  EXPECT_EQ(r->thread, "Thread-1 (worker)");
  EXPECT_FALSE(r->execution_time.has_value());
}

TEST(NodeRecords, NodeFinishedCarriesStatusTimesMessageAndAdapterResponse) {
  const auto r = runner::node_record_from_log_line(kError);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->unique_id, "model.shop.fct_sales");
  EXPECT_EQ(r->status, "error");
  EXPECT_EQ(to_rfc3339(r->started_at.value()), "2026-12-07T00:35:10.530Z");
  EXPECT_EQ(to_rfc3339(r->finished_at.value()), "2026-12-07T00:35:10.665Z");
  EXPECT_NEAR(r->execution_time.value(), 0.134, 0.001);
  EXPECT_EQ(r->thread, "Thread-2 (worker)");
  ASSERT_TRUE(r->message.has_value());
  EXPECT_EQ(r->message->rfind("Runtime Error in model fct_sales", 0), 0u) << *r->message;
  EXPECT_NE(r->message->find("book_ref"), std::string::npos);
  EXPECT_FALSE(r->adapter_response.has_value());  // {}: nothing to show
  EXPECT_FALSE(r->failures.has_value());          // a model, not a test

  const auto seed = runner::node_record_from_log_line(kSeed);
  ASSERT_TRUE(seed.has_value());
  EXPECT_EQ(seed->status, "success");
  EXPECT_EQ(seed->rows_affected, 8);
  EXPECT_EQ(json::parse(seed->adapter_response.value())["code"], "INSERT");
  EXPECT_EQ(seed->message, "INSERT 8");
}

TEST(NodeRecords, SkippedAndPassingTests) {
  const auto skipped = runner::node_record_from_log_line(kSkipped);
  ASSERT_TRUE(skipped.has_value());
  EXPECT_EQ(skipped->status, "skipped");
  EXPECT_EQ(skipped->resource_type, "test");
  EXPECT_TRUE(skipped->finished_at.has_value());  // node_finished_at is "": the event's time
  EXPECT_FALSE(skipped->message.has_value());     // "" is no message
  EXPECT_EQ(skipped->failures, 0);
  const auto pass = runner::node_record_from_log_line(kPass);
  ASSERT_TRUE(pass.has_value());
  EXPECT_EQ(pass->status, "pass");
  EXPECT_EQ(pass->failures, 0);
  const auto failed = runner::node_record_from_log_line(kFail);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, "fail");
  EXPECT_EQ(failed->failures, 1);
  EXPECT_EQ(failed->message, "Got 1 result, configured to fail if != 0");
}

TEST(NodeRecords, OtherLinesAndBrokenLinesGiveNothing) {
  EXPECT_FALSE(runner::node_record_from_log_line(R"({"data": {}, "info": {"name": "SQLQuery", "msg": "NodeStart"}})"));
  EXPECT_FALSE(runner::node_record_from_log_line(R"({"info": {"name": "NodeStart"})"));  // cut short
  EXPECT_FALSE(runner::node_record_from_log_line(R"({"data": {"node_info": {}}, "info": {"name": "NodeStart"}})"));
  EXPECT_FALSE(runner::node_record_from_log_line("NodeFinished"));
}

TEST(NodeRecords, RecorderKeepsOneRecordPerNodeUntilCleared) {
  runner::NodeRecorder recorder;
  recorder.feed_line(R"({"info": {"name": "SQLQuery"}})");
  EXPECT_TRUE(recorder.pending().empty());
  recorder.feed_line(kStart);
  ASSERT_EQ(recorder.pending().size(), 1u);
  EXPECT_EQ(recorder.invocation_id(), "9caf71fa-660f-4f47-9999-1c94c910e64d");
  recorder.clear();
  recorder.feed_line(kError);
  // The NodeStart of the same node arriving late never turns a finished node back.
  NodeRecord late = runner::node_record_from_log_line(kError).value();
  late.status = "running";
  NodeRecord merged = recorder.pending().front();
  runner::merge_node_record(merged, late);
  EXPECT_EQ(merged.status, "error");
  recorder.feed_line(kSeed);
  EXPECT_EQ(recorder.pending().size(), 2u);
}

TEST(NodeRecords, MergeKeepsWhatTheNewerRecordLacks) {
  NodeRecord started = runner::node_record_from_log_line(kStart).value();
  NodeRecord finished;
  finished.unique_id = started.unique_id;
  finished.status = "success";
  finished.execution_time = 1.5;
  runner::merge_node_record(started, finished);
  EXPECT_EQ(started.status, "success");
  EXPECT_EQ(started.thread, "Thread-1 (worker)");
  EXPECT_EQ(started.name, "calendar");
  EXPECT_EQ(started.execution_time, 1.5);
}

TEST(NodeRecords, RunResultsAreReadWithTheirTiming) {
  const json results = json::parse(R"json({"metadata": {"invocation_id": "x"}, "results": [
    {"status": "error", "timing": [{"name": "compile", "started_at": "2026-12-07T00:35:10.532596Z",
       "completed_at": "2026-12-07T00:35:10.545540Z"}, {"name": "execute", "started_at": "2026-12-07T00:35:10.558346Z",
       "completed_at": "2026-12-07T00:35:10.641413Z"}], "thread_id": "Thread-2 (worker)", "execution_time": 0.134,
     "adapter_response": {}, "message": "Runtime Error in model fct_sales", "failures": null,
     "unique_id": "model.shop.fct_sales"},
    {"status": "fail", "timing": [], "thread_id": "Thread-1 (worker)", "execution_time": 0.2,
     "adapter_response": {"_message": "OK"}, "message": "Got 1 result, configured to fail if != 0", "failures": 1,
     "unique_id": "test.shop.assert_sale_quantity_positive"},
    {"status": "pass", "unique_id": "test.shop.not_null_stg_books_book_id.1a2b3c"},
    {"unique_id": "model.shop.no_status"}
  ]})json");
  const auto records = runner::node_records_from_run_results(results);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].name, "fct_sales");
  EXPECT_EQ(records[0].resource_type, "model");
  EXPECT_EQ(to_rfc3339(records[0].started_at.value()), "2026-12-07T00:35:10.532Z");
  EXPECT_EQ(to_rfc3339(records[0].finished_at.value()), "2026-12-07T00:35:10.641Z");
  EXPECT_EQ(records[1].failures, 1);
  EXPECT_EQ(records[1].status, "fail");
  EXPECT_EQ(records[2].name, "not_null_stg_books_book_id");
  EXPECT_EQ(records[2].resource_type, "test");
}

// SQLMesh's plugin names each result (docs/sqlmesh.md, Node records): a model's name holds
// dots, so it is not the unique_id's last part as for dbt.
TEST(NodeRecords, RunResultsKeepTheNameAndTypeTheyGive) {
  const json results = json::parse(R"json({"results": [
    {"status": "success", "unique_id": "model.bakery.daily_sales", "name": "bakery.daily_sales",
     "resource_type": "model", "execution_time": 0.5},
    {"status": "fail", "unique_id": "audit.bakery.orders.not_null", "name": "bakery.orders not_null",
     "resource_type": "audit", "failures": 3},
    {"status": "success", "unique_id": "model.shop.orders", "name": null, "resource_type": 7}
  ]})json");
  const auto records = runner::node_records_from_run_results(results);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].unique_id, "model.bakery.daily_sales");
  EXPECT_EQ(records[0].name, "bakery.daily_sales");
  EXPECT_EQ(records[0].resource_type, "model");
  EXPECT_EQ(records[1].name, "bakery.orders not_null");
  EXPECT_EQ(records[1].resource_type, "audit");
  EXPECT_EQ(records[1].failures, 3);
  // Fields that are not text fall back to what the unique_id says, as for dbt.
  EXPECT_EQ(records[2].name, "orders");
  EXPECT_EQ(records[2].resource_type, "model");
}

std::set<std::string> retried(const json& run_results) {
  // What dbt/task/retry.py runs again: error, fail, skipped, runtime error, partial success.
  static const std::set<std::string> kRetryable = {"error", "fail", "skipped", "runtime error", "partial success"};
  std::set<std::string> out;
  for (const auto& r : run_results["results"]) {
    if (kRetryable.count(r["status"].get<std::string>())) out.insert(r["unique_id"].get<std::string>());
  }
  return out;
}

NodeRecord node(const std::string& unique_id, const std::string& status) {
  NodeRecord n;
  n.unique_id = unique_id;
  n.status = status;
  return n;
}

TEST(NodeRecords, RetryResultsRerunWhatDidNotSucceed) {
  const json manifest = json::parse(R"({"metadata": {"dbt_version": "1.11.16", "invocation_id": "abc"},
    "nodes": {
      "model.shop.a": {"resource_type": "model", "config": {"materialized": "table"}},
      "model.shop.b": {"resource_type": "model", "config": {"materialized": "table"}},
      "model.shop.slow": {"resource_type": "model", "config": {"materialized": "table"}},
      "model.shop.after_slow": {"resource_type": "model", "config": {"materialized": "table"}},
      "model.shop.eph": {"resource_type": "model", "config": {"materialized": "ephemeral"}},
      "test.shop.t1.abc": {"resource_type": "test", "config": {"materialized": "test"}},
      "analysis.shop.x": {"resource_type": "analysis", "config": {}}
    }})");
  const std::vector<NodeRecord> nodes = {node("model.shop.a", "success"), node("model.shop.b", "error"),
                                         node("model.shop.slow", "interrupted")};
  const std::vector<std::string> build = {"dbt", "build", "--vars", "{scenario: partial}", "--threads", "4", "--full-refresh"};
  const json results = runner::synthesize_run_results(build, nodes, manifest, dagctl::common::now());
  EXPECT_EQ(results["args"]["which"], "build");
  EXPECT_EQ(results["args"]["vars"], "{scenario: partial}");
  EXPECT_EQ(results["args"]["threads"], "4");
  EXPECT_EQ(results["args"]["full_refresh"], true);
  EXPECT_EQ(results["metadata"]["dbt_version"], "1.11.16");
  EXPECT_EQ(retried(results),
            (std::set<std::string>{"model.shop.b", "model.shop.slow", "model.shop.after_slow", "test.shop.t1.abc"}));

  // `dbt run` runs models only.
  const json run = runner::synthesize_run_results({"dbt", "run"}, nodes, manifest, dagctl::common::now());
  EXPECT_EQ(retried(run), (std::set<std::string>{"model.shop.b", "model.shop.slow", "model.shop.after_slow"}));

  // A selection dagctl cannot evaluate: only what started and did not succeed.
  const json selected =
      runner::synthesize_run_results({"dbt", "build", "--select", "a+"}, nodes, manifest, dagctl::common::now());
  EXPECT_EQ(retried(selected), (std::set<std::string>{"model.shop.b", "model.shop.slow"}));
  EXPECT_FALSE(selected["args"].contains("select"));
}

}  // namespace

// SQLMesh's log is a file the project's Python code can write to (docs/sqlmesh.md): a record
// whose id, name or thread is far longer than any real node's is junk, and is not stored.
TEST(NodeRecords, OverlongIdsNamesAndThreadsAreDropped) {
  const std::string huge(5000, 'x');
  const auto line = [](const std::string& id, const std::string& name, const std::string& thread) {
    return json{{"info", {{"name", "NodeStart"}, {"thread", thread}, {"ts", "2026-12-07T00:35:08Z"}}},
                {"data", {{"node_info", {{"unique_id", id}, {"node_name", name}, {"resource_type", "model"}}}}}}
        .dump();
  };
  EXPECT_TRUE(runner::node_record_from_log_line(line("model.bakery.orders", "bakery.orders", "MainThread")));
  EXPECT_FALSE(runner::node_record_from_log_line(line("model." + huge, "bakery.orders", "MainThread")));
  EXPECT_FALSE(runner::node_record_from_log_line(line("model.bakery.orders", huge, "MainThread")));
  EXPECT_FALSE(runner::node_record_from_log_line(line("model.bakery.orders", "bakery.orders", huge)));
  const json results = {{"results",
                         {{{"unique_id", "model.bakery.orders"}, {"status", "success"}},
                          {{"unique_id", "model." + huge}, {"status", "success"}},
                          {{"unique_id", "model.bakery.x"}, {"status", "error"}, {"name", huge}}}}};
  const auto records = runner::node_records_from_run_results(results);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].unique_id, "model.bakery.orders");
}

namespace dagctl::daemon::runner {
namespace {

TEST(NodeRecorderCap, ARunRecordsAtMostTheCapOfDistinctNodesAcrossBatches) {
  NodeRecorder recorder;
  for (std::size_t i = 0; i < kMaxNodesPerRun; ++i) EXPECT_TRUE(recorder.admit("model.p.m" + std::to_string(i)));
  recorder.clear();  // a batch was stored: the run still knows its nodes
  EXPECT_TRUE(recorder.admit("model.p.m0"));  // a node it has may finish
  EXPECT_FALSE(recorder.admit("model.p.one_too_many"));
  recorder.feed_line(R"({"info":{"name":"NodeStart","ts":"2026-12-07T07:00:00Z"},)"
                     R"("data":{"node_info":{"unique_id":"model.p.another","node_name":"another","resource_type":"model"}}})");
  EXPECT_TRUE(recorder.pending().empty());
  EXPECT_EQ(recorder.dropped(), 2u);
}

}  // namespace
}  // namespace dagctl::daemon::runner
