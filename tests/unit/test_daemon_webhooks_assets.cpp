// Tests for daemon/webhooks/assets: which nodes of a run owe an Airflow asset event, under
// which URI and with which extra, the bound per run, and one attempt at sending it to a
// fake Airflow 3 (a cpp-httplib server on 127.0.0.1 answering GET /api/v2/assets and
// POST /api/v2/assets/events).
#include "daemon/webhooks/assets.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

namespace store = dagctl::daemon::store;
namespace webhooks = dagctl::daemon::webhooks;
using nlohmann::json;
using dagctl::test::TempDir;

store::NodeRecord node(const std::string& unique_id, const std::string& type, const std::string& status) {
  store::NodeRecord n;
  n.unique_id = unique_id;
  n.name = unique_id.substr(unique_id.rfind('.') + 1);
  n.resource_type = type;
  n.status = status;
  n.execution_time = 1.5;
  return n;
}

webhooks::RunContext context(std::vector<store::NodeRecord> nodes) {
  webhooks::RunContext c;
  c.job.id = "job-1";
  c.job.name = "nightly";
  c.job.airflow_assets_url = "http://127.0.0.1:8080";
  c.project.id = "prj-1";
  c.project.name = "shop";
  c.nodes = std::move(nodes);
  return c;
}

store::Run finished_run() {
  store::Run r;
  r.id = "run-1";
  r.status = dagctl::common::RunStatus::partial;
  return r;
}

std::vector<std::string> uris(const std::vector<store::Delivery>& owed) {
  std::vector<std::string> out;
  for (const auto& d : owed) out.push_back(json::parse(d.body)["uri"].get<std::string>());
  return out;
}

TEST(AssetUri, DbtAndSqlmeshSchemes) {
  store::Project p;
  p.name = "shop";
  EXPECT_EQ(webhooks::asset_uri(p, node("model.shop.fct_orders", "model", "success")), "dbt://shop/model.shop.fct_orders");
  p.type = "sqlmesh";
  auto n = node("model.bakery.daily_sales", "model", "success");
  n.name = "bakery.daily_sales";
  EXPECT_EQ(webhooks::asset_uri(p, n), "sqlmesh://shop/bakery.daily_sales");
  n.name = "\"db\".\"bakery\".\"daily sales\"";  // a quoted name is percent-encoded
  EXPECT_EQ(webhooks::asset_uri(p, n), "sqlmesh://shop/%22db%22.%22bakery%22.%22daily%20sales%22");
}

TEST(AssetOwed, OnlyNodesBuiltSuccessfully) {
  const auto c = context({
      node("model.shop.stg_books", "model", "success"),
      node("model.shop.fct_orders", "model", "error"),
      node("model.shop.fct_sales", "model", "skipped"),
      node("seed.shop.books", "seed", "success"),
      node("snapshot.shop.books_snapshot", "snapshot", "success"),
      node("test.shop.not_null_x", "test", "pass"),
      node("model.shop.half", "model", "interrupted"),
  });
  const auto owed = webhooks::asset_owed(c, finished_run());
  EXPECT_EQ(uris(owed), (std::vector<std::string>{"dbt://shop/model.shop.stg_books", "dbt://shop/seed.shop.books",
                                                  "dbt://shop/snapshot.shop.books_snapshot"}));
  for (const auto& d : owed) {
    EXPECT_EQ(d.kind, store::delivery_kind::airflow_asset);
    EXPECT_EQ(d.event, "asset.updated");
    EXPECT_EQ(d.url, "http://127.0.0.1:8080");
    EXPECT_EQ(d.job_id, "job-1");
  }
}

TEST(AssetOwed, ExtraSaysWhichRunBuiltWhat) {
  auto c = context({node("model.shop.fct_orders", "model", "success"), node("model.shop.x", "model", "success")});
  c.relations["model.shop.fct_orders"] = "\"shop\".\"main\".\"fct_orders\"";
  const auto owed = webhooks::asset_owed(c, finished_run());
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_EQ(json::parse(owed[0].body),
            json::parse(R"({"uri": "dbt://shop/model.shop.fct_orders", "extra": {"dagctl_run_id": "run-1", "job": "nightly",
              "project": "shop", "unique_id": "model.shop.fct_orders", "relation_name": "\"shop\".\"main\".\"fct_orders\"",
              "status": "success", "execution_time": 1.5}})"));
  EXPECT_TRUE(json::parse(owed[1].body)["extra"]["relation_name"].is_null());
}

TEST(AssetOwed, NoneWhenOffOrForATestOnlyRun) {
  auto c = context({node("model.shop.fct_orders", "model", "success")});
  c.job.airflow_assets_url.reset();
  EXPECT_TRUE(webhooks::asset_owed(c, finished_run()).empty());
  const auto tests = context({node("test.shop.a", "test", "pass"), node("test.shop.b", "test", "fail")});
  EXPECT_TRUE(webhooks::asset_owed(tests, finished_run()).empty());
}

TEST(AssetOwed, SqlmeshModelsIncludingWarned) {
  auto c = context({node("model.bakery.a", "model", "success"), node("model.bakery.b", "model", "warn"),
                    node("audit.bakery.a.not_null", "audit", "pass"), node("model.bakery.c", "model", "error")});
  c.project.type = "sqlmesh";
  EXPECT_EQ(uris(webhooks::asset_owed(c, finished_run())),
            (std::vector<std::string>{"sqlmesh://shop/a", "sqlmesh://shop/b"}));
}

TEST(AssetOwed, BoundedPerRun) {
  std::vector<store::NodeRecord> nodes;
  for (std::size_t i = 0; i < webhooks::kMaxAssetEventsPerRun + 7; ++i) {
    nodes.push_back(node("model.shop.m" + std::to_string(i), "model", "success"));
  }
  const auto owed = webhooks::asset_owed(context(nodes), finished_run());
  ASSERT_EQ(owed.size(), webhooks::kMaxAssetEventsPerRun);
  EXPECT_EQ(uris(owed).front(), "dbt://shop/model.shop.m0");
}

TEST(RelationNames, ReadFromRunResults) {
  TempDir dir;
  EXPECT_TRUE(webhooks::read_relation_names(dir.path().string()).empty());  // none yet
  std::filesystem::create_directories(dir.path() / "target");
  std::ofstream(dir.path() / "target" / "run_results.json")
      << R"({"results": [{"unique_id": "model.shop.a", "relation_name": "\"shop\".\"main\".\"a\""},
                          {"unique_id": "test.shop.t", "relation_name": null}, 7]})";
  const auto names = webhooks::read_relation_names(dir.path().string());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names.at("model.shop.a"), "\"shop\".\"main\".\"a\"");
}

// A fake Airflow 3: assets by id and URI; records what was asked and posted.
class FakeAirflowTest : public ::testing::Test {
protected:
  void SetUp() override {
    server_.Get("/api/v2/assets", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      lookups_.push_back(req.get_param_value("uri_pattern"));
      authorization_ = req.get_header_value("Authorization");
      if (lookup_status_ != 200) {
        res.status = lookup_status_;
        res.set_content(R"({"detail": "down"})", "application/json");
        return;
      }
      // A substring match, as Airflow's ILIKE '%pattern%'.
      json list = json::array();
      for (const auto& [id, uri] : assets_) {
        if (uri.find(req.get_param_value("uri_pattern")) != std::string::npos) list.push_back({{"id", id}, {"uri", uri}});
      }
      res.set_content(json{{"assets", list}, {"total_entries", list.size()}}.dump(), "application/json");
    });
    server_.Post("/api/v2/assets/events", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      posted_.push_back(json::parse(req.body));
      res.set_content(R"({"id": 1})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    job_.id = "job-1";
    job_.webhook_auth = {{"type", "airflow_jwt"}, {"token_url", base() + "/auth/token"}, {"username", "u"}, {"password", "p"}};
    options_.timeout = std::chrono::seconds(5);
    options_.user_agent = "dagctl-test";
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  void set_lookup_status(int status) {
    std::lock_guard lock(mutex_);
    lookup_status_ = status;
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  webhooks::AttemptOutcome send(const std::string& uri) {
    store::Delivery d;
    d.id = "dlv_1";
    d.kind = store::delivery_kind::airflow_asset;
    d.url = base() + "/";
    d.body = json{{"uri", uri}, {"extra", {{"dagctl_run_id", "run-1"}}}}.dump();
    const webhooks::AirflowTokenSource token = [](const json&, bool, std::string&, bool&) {
      return std::optional<std::string>("jwt-1");
    };
    return webhooks::attempt_asset_event(d, job_, options_, token);
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<std::pair<int, std::string>> assets_ = {{3, "dbt://shop/model.shop.fct_orders_v2"},
                                                      {4, "dbt://shop/model.shop.fct_orders"}};
  int lookup_status_ = 200;
  std::vector<std::string> lookups_;
  std::string authorization_;
  std::vector<json> posted_;
  store::Job job_;
  webhooks::SenderOptions options_;
};

TEST_F(FakeAirflowTest, PostsTheEventOfTheAssetWithThatExactUri) {
  const auto out = send("dbt://shop/model.shop.fct_orders");
  EXPECT_TRUE(out.delivered) << out.attempt.error.value_or("");
  std::lock_guard lock(mutex_);
  EXPECT_EQ(lookups_, std::vector<std::string>{"dbt://shop/model.shop.fct_orders"});
  EXPECT_EQ(authorization_, "Bearer jwt-1");
  ASSERT_EQ(posted_.size(), 1u);
  EXPECT_EQ(posted_[0], json::parse(R"({"asset_id": 4, "extra": {"dagctl_run_id": "run-1"}})"));
}

TEST_F(FakeAirflowTest, AnUnknownAssetFailsForGood) {
  const auto out = send("dbt://shop/model.shop.stg_books");
  EXPECT_FALSE(out.delivered);
  EXPECT_FALSE(out.retryable);
  EXPECT_EQ(out.attempt.error.value_or(""), "no asset dbt://shop/model.shop.stg_books in Airflow: no DAG is scheduled on it");
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(posted_.empty());
}

TEST_F(FakeAirflowTest, AServerErrorMayBeRetried) {
  set_lookup_status(500);
  const auto out = send("dbt://shop/model.shop.fct_orders");
  EXPECT_FALSE(out.delivered);
  EXPECT_TRUE(out.retryable);
  EXPECT_EQ(out.attempt.status_code.value_or(0), 500);
  set_lookup_status(404);
  const auto wrong = send("dbt://shop/model.shop.fct_orders");
  EXPECT_FALSE(wrong.retryable);
  EXPECT_NE(wrong.attempt.error.value_or("").find("Airflow 3's base URL"), std::string::npos);
}

}  // namespace
