// Tests for daemon/store/node_store: node records written in batches, merged, counted, their
// history across runs, `interrupted` at a run's end, and removal with their run
// (docs/runs.md, Node records).
#include "daemon/store/node_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_store_fixture.hpp"

namespace {

using nlohmann::json;
using dagctl::daemon::store::NodeRecord;
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp

class NodeStore : public StoreFixture {
protected:
  // A running run of job "default".
  void add_run(const std::string& id) {
    store().runs().insert(make_run(id, job("job-default")), 100);
    ASSERT_TRUE(store().runs().mark_running(id, dagctl::common::now()));
  }
  void end_run(const std::string& id, RunStatus status = RunStatus::success) {
    ASSERT_TRUE(store().runs().finish(id, status, dagctl::common::now(), 0, std::nullopt, json::object()));
  }
};

NodeRecord node(const std::string& unique_id, const std::string& status, std::int64_t started_ms = 0,
                double execution_time = -1) {
  NodeRecord n;
  n.unique_id = unique_id;
  n.name = unique_id.substr(unique_id.rfind('.') + 1);
  n.resource_type = unique_id.substr(0, unique_id.find('.'));
  n.status = status;
  if (started_ms) n.started_at = at(started_ms);
  if (execution_time >= 0) n.execution_time = execution_time;
  return n;
}

std::vector<std::string> uids(const std::vector<NodeRecord>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n.unique_id);
  return out;
}

TEST_F(NodeStore, BatchUpsertMergesAndKeepsOrder) {
  add_shop();
  add_run("r1");
  NodeRecord start = node("model.shop.b", "running", 2000);
  start.thread = "Thread-1 (worker)";
  store().nodes().upsert("r1", {start, node("model.shop.a", "running", 1000), node("model.shop.c", "skipped")});
  NodeRecord finished = node("model.shop.b", "error", 0, 1.25);
  finished.message = std::string(100 * 1024, 'x');  // capped at 64 KiB
  finished.adapter_response = R"({"_message":"OK","rows_affected":3})";
  finished.rows_affected = 3;
  store().nodes().upsert("r1", {finished, node("model.shop.a", "success", 0, 0.5)});
  // A late NodeStart never turns a finished node back to running.
  store().nodes().upsert("r1", {node("model.shop.a", "running", 1000)});

  const auto nodes = store().nodes().list("r1");
  // By started_at, the never-started last.
  EXPECT_EQ(uids(nodes), (std::vector<std::string>{"model.shop.a", "model.shop.b", "model.shop.c"}));
  EXPECT_EQ(nodes[0].status, "success");
  const auto& b = nodes[1];
  EXPECT_EQ(b.status, "error");
  EXPECT_EQ(b.started_at, at(2000));            // kept from the start
  EXPECT_EQ(b.thread, "Thread-1 (worker)");     // kept from the start
  EXPECT_EQ(b.execution_time, 1.25);
  EXPECT_EQ(b.rows_affected, 3);
  EXPECT_EQ(b.message->size(), 64u * 1024u);
  NodeRecord accented = node("model.shop.d", "warn");
  accented.message = "x";
  for (int i = 0; i < 40 * 1024; ++i) *accented.message += "\xC3\xA9";  // "é", two bytes
  store().nodes().upsert("r1", {accented});
  const auto d = store().nodes().list("r1", {"warn"});
  const auto cut = std::find_if(d.begin(), d.end(), [](const NodeRecord& n) { return n.unique_id == "model.shop.d"; });
  ASSERT_NE(cut, d.end());
  EXPECT_EQ(cut->message->size(), 64u * 1024u - 1);  // an "é" is never cut in half
  EXPECT_EQ(uids(store().nodes().list("r1", {"error", "skipped"})),
            (std::vector<std::string>{"model.shop.b", "model.shop.c"}));
  EXPECT_TRUE(store().nodes().list("r1", {"fail"}).empty());
  EXPECT_TRUE(store().nodes().list("nope").empty());
}

TEST_F(NodeStore, CountsAndSlowestForAPageOfRuns) {
  add_shop();
  // One run of a project runs at a time (docs/runs.md, Several daemons): r2 runs and ends
  // first, r1 runs still, r3 stays queued.
  for (const auto* id : {"r1", "r2", "r3"}) store().runs().insert(make_run(id, job("job-default")), 100);
  ASSERT_TRUE(store().runs().mark_running("r2", dagctl::common::now()));
  store().nodes().upsert("r2", {node("test.shop.t", "pass", 1, 0.1)});
  end_run("r2");
  ASSERT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  std::vector<NodeRecord> batch;
  for (int i = 0; i < 8; ++i) batch.push_back(node("model.shop.m" + std::to_string(i), "success", 1000 + i, i * 1.0));
  batch.push_back(node("model.shop.err", "error", 1, 100.0));
  batch.push_back(node("model.shop.live", "running", 1));
  store().nodes().upsert("r1", batch);
  const auto s = store().nodes().summaries({"r1", "r2", "r3"});
  ASSERT_EQ(s.size(), 2u);  // r3 has no nodes
  const auto& r1 = s.at("r1");
  EXPECT_EQ(r1.counts, (std::vector<std::pair<std::string, int>>{{"error", 1}, {"running", 1}, {"success", 8}}));
  EXPECT_EQ(uids(r1.slowest), (std::vector<std::string>{"model.shop.err", "model.shop.m7", "model.shop.m6",
                                                         "model.shop.m5", "model.shop.m4"}));
  EXPECT_EQ(s.at("r2").counts, (std::vector<std::pair<std::string, int>>{{"pass", 1}}));
  EXPECT_TRUE(store().nodes().summaries({}).empty());
}

TEST_F(NodeStore, ARunsEndInterruptsItsRunningNodes) {
  add_shop();
  add_run("r1");
  store().nodes().upsert("r1", {node("model.shop.a", "success", 1, 1), node("model.shop.slow", "running", 2)});
  end_run("r1", RunStatus::error);
  const auto nodes = store().nodes().list("r1");
  EXPECT_EQ(nodes[0].status, "success");
  EXPECT_EQ(nodes[1].status, "interrupted");
  EXPECT_FALSE(nodes[1].finished_at.has_value());
}

TEST_F(NodeStore, HistoryAcrossRunsNewestFirst) {
  add_shop();
  add_run("r1");
  store().nodes().upsert("r1", {node("model.shop.a", "error", 1, 2.0)});
  end_run("r1", RunStatus::failed);
  add_run("r2");
  store().nodes().upsert("r2", {node("model.shop.a", "success", 2, 1.0), node("model.shop.b", "success", 2, 1.0)});
  end_run("r2");
  const auto h = store().nodes().history("prj-shop", "model.shop.a", 50);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].run_id, "r2");
  EXPECT_EQ(h[0].node.status, "success");
  EXPECT_EQ(h[1].run_id, "r1");
  EXPECT_EQ(h[1].run_status, RunStatus::failed);
  EXPECT_EQ(h[1].job_id, "job-default");
  EXPECT_EQ(store().nodes().history("prj-shop", "model.shop.a", 1).size(), 1u);
  EXPECT_TRUE(store().nodes().history("prj-other", "model.shop.a", 50).empty());
  EXPECT_TRUE(store().nodes().history("prj-shop", "model.shop.zzz", 50).empty());
}

TEST_F(NodeStore, PrunedRunsTakeTheirNodes) {
  add_shop();
  add_run("r1");  // one after the other: one run of a project runs at a time
  store().nodes().upsert("r1", {node("model.shop.a", "success", 1, 1)});
  end_run("r1");
  add_run("r2");
  store().nodes().upsert("r2", {node("model.shop.a", "success", 1, 1)});
  end_run("r2");
  const auto pruned = store().runs().prune(std::nullopt, 1, 100);  // keeps the newest run of the job
  ASSERT_EQ(pruned, std::vector<std::string>{"r1"});
  EXPECT_TRUE(store().nodes().list("r1").empty());
  EXPECT_EQ(store().nodes().list("r2").size(), 1u);
  EXPECT_EQ(store().nodes().history("prj-shop", "model.shop.a", 50).size(), 1u);
}

TEST_F(NodeStore, NodesOfAnUnknownRunAreRefused) {
  EXPECT_ANY_THROW(store().nodes().upsert("nope", {node("model.shop.a", "running", 1)}));
}

}  // namespace
