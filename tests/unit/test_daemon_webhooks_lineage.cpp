// OpenLineage events (docs/openlineage.md): which a run owes, their order, ids, facets,
// datasets and bounds. The JSON schema itself is checked by tests/integration/test_openlineage.sh.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "daemon/webhooks/lineage.hpp"

namespace dagctl::daemon::webhooks {
namespace {

using nlohmann::json;

common::TimePoint at(std::int64_t ms) { return common::from_millis(ms); }

constexpr const char* kManifest = R"({
  "metadata": {"adapter_type": "duckdb", "dbt_version": "1.11.16", "invocation_id": "inv-1", "project_name": "shop"},
  "nodes": {
    "model.shop.fct": {"resource_type": "model", "package_name": "shop", "name": "fct", "database": "shop",
                       "schema": "main", "alias": "fct", "original_file_path": "models/fct.sql",
                       "compiled_code": "select * from \"shop\".\"main\".\"stg\"",
                       "depends_on": {"nodes": ["model.shop.stg", "source.shop.raw.orders"]}},
    "model.shop.stg": {"resource_type": "model", "package_name": "shop", "name": "stg", "database": "shop",
                       "schema": "main", "alias": "stg_alias", "depends_on": {"nodes": ["seed.shop.books"]}},
    "seed.shop.books": {"resource_type": "seed", "package_name": "shop", "name": "books", "database": "shop",
                        "schema": "main", "alias": "books"},
    "test.shop.t": {"resource_type": "test", "name": "t"}
  },
  "sources": {"source.shop.raw.orders": {"resource_type": "source", "package_name": "shop", "name": "orders",
                                         "database": "shop", "schema": "raw", "identifier": "orders_table"}}
})";

struct LineageEvents : ::testing::Test {
  OutboxOptions options;
  RunContext c;
  store::Run run;

  void SetUp() override {
    options.openlineage_url = "http://127.0.0.1:5000";
    options.openlineage_namespace = "dagctl";
    c.options = &options;
    c.project.name = "shop";
    c.job.id = "job1";
    c.job.name = "nightly";
    c.manifest = std::make_shared<const LineageManifest>(parse_lineage_manifest(kManifest));
    run.id = "run1";
    run.job_id = "job1";
    run.created_at = at(1'775'131'200'000);
    run.start_time = at(1'775'131'201'000);
    run.end_time = at(1'775'131'260'000);
    run.status = common::RunStatus::success;
  }
  store::NodeRecord node(const std::string& id, const std::string& type, const std::string& status) {
    store::NodeRecord n;
    n.unique_id = id;
    n.name = id.substr(id.rfind('.') + 1);
    n.resource_type = type;
    n.status = status;
    n.started_at = at(1'775'131'210'000);
    n.finished_at = at(1'775'131'220'000);
    return n;
  }
  static std::vector<json> bodies(const std::vector<store::Delivery>& ds) {
    std::vector<json> out;
    for (const auto& d : ds) {
      EXPECT_EQ(d.kind, "openlineage");
      out.push_back(json::parse(d.body));
      EXPECT_EQ(d.event, "lineage." + out.back()["eventType"].get<std::string>());
    }
    return out;
  }
};

TEST(LineageEndpoint, BaseUrlPostsToMarquezPathAndAPathIsKept) {
  EXPECT_EQ(lineage_endpoint("http://marquez:5000"), "http://marquez:5000/api/v1/lineage");
  EXPECT_EQ(lineage_endpoint("http://marquez:5000/"), "http://marquez:5000/api/v1/lineage");
  EXPECT_EQ(lineage_endpoint("https://x.example/api/v2/events"), "https://x.example/api/v2/events");
  EXPECT_EQ(lineage_endpoint("http://h:1/?q=1"), "http://h:1/?q=1");
}

TEST(LineageUuid, IsAStableUuidV7OfTheTime) {
  const auto a = lineage_uuid(at(1'775'131'201'000), "dagctl run r1");
  EXPECT_EQ(a, lineage_uuid(at(1'775'131'201'000), "dagctl run r1"));
  EXPECT_NE(a, lineage_uuid(at(1'775'131'201'000), "dagctl run r2"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '7');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
  char hex[13];
  std::snprintf(hex, sizeof hex, "%012llx", 1'775'131'201'000ull);
  EXPECT_EQ(a.substr(0, 8) + a.substr(9, 4), hex);
}

TEST_F(LineageEvents, OffWithoutAUrlAndPerProject) {
  options.openlineage_url.clear();
  EXPECT_TRUE(lineage_started(c, run).empty());
  EXPECT_TRUE(lineage_owed(c, run).empty());
  c.project.openlineage_url = "http://127.0.0.1:6000/lineage";  // the project's own
  ASSERT_EQ(lineage_started(c, run).size(), 1u);
  EXPECT_EQ(lineage_started(c, run)[0].url, "http://127.0.0.1:6000/lineage");
  options.openlineage_url = "http://127.0.0.1:5000";
  c.project.openlineage_url = "";  // off for this project
  EXPECT_TRUE(lineage_owed(c, run).empty());
}

TEST_F(LineageEvents, StartAndEndOfTheRunShareItsRunId) {
  const auto start = bodies(lineage_started(c, run));
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0]["eventType"], "START");
  EXPECT_EQ(start[0]["job"]["namespace"], "dagctl");
  EXPECT_EQ(start[0]["job"]["name"], "shop.nightly");
  EXPECT_EQ(start[0]["job"]["facets"]["jobType"]["integration"], "DBT");
  EXPECT_EQ(start[0]["job"]["facets"]["jobType"]["processingType"], "BATCH");
  EXPECT_EQ(start[0]["eventTime"], common::to_rfc3339(*run.start_time));
  const auto end = bodies(lineage_owed(c, run));
  ASSERT_EQ(end.size(), 1u);  // no nodes
  EXPECT_EQ(end[0]["eventType"], "COMPLETE");
  EXPECT_EQ(end[0]["run"]["runId"], start[0]["run"]["runId"]);
  EXPECT_EQ(end[0]["run"]["facets"]["dbt_run"]["invocation_id"], "inv-1");
  EXPECT_EQ(end[0]["run"]["facets"]["processing_engine"]["version"], "1.11.16");
  EXPECT_EQ(end[0]["run"]["facets"]["dagctl_run"]["run_id"], "run1");
  EXPECT_EQ(end[0]["schemaURL"], kOpenLineageSchema);
}

TEST_F(LineageEvents, EndTypeOfEachStatus) {
  const auto type = [&](common::RunStatus s) {
    run.status = s;
    return bodies(lineage_owed(c, run)).back()["eventType"].get<std::string>();
  };
  EXPECT_EQ(type(common::RunStatus::success), "COMPLETE");
  EXPECT_EQ(type(common::RunStatus::partial), "FAIL");
  EXPECT_EQ(type(common::RunStatus::failed), "FAIL");
  EXPECT_EQ(type(common::RunStatus::cancelled), "ABORT");
  run.status = common::RunStatus::error;
  run.error_message = "dagctld stopped";
  const auto fail = bodies(lineage_owed(c, run)).back();
  EXPECT_EQ(fail["run"]["facets"]["errorMessage"]["message"], "dagctld stopped");
}

TEST_F(LineageEvents, ARunThatNeverStartedOwesNothing) {
  run.start_time.reset();
  run.status = common::RunStatus::cancelled;
  EXPECT_TRUE(lineage_owed(c, run).empty());
}

TEST_F(LineageEvents, ModelsHaveStartAndEndParentedToTheRunWithDatasets) {
  c.nodes = {node("model.shop.fct", "model", "error"), node("seed.shop.books", "seed", "success"),
             node("test.shop.t", "test", "pass"), node("model.shop.stg", "model", "skipped")};
  c.nodes[0].message = "Runtime Error in model fct";
  run.status = common::RunStatus::partial;
  const auto events = bodies(lineage_owed(c, run));
  ASSERT_EQ(events.size(), 7u);  // 3 models x 2, the run's end; the test has none
  const std::string parent = lineage_uuid(*run.start_time, "dagctl run run1");
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(events[i]["run"]["facets"]["parent"]["run"]["runId"], parent);
    EXPECT_EQ(events[i]["run"]["facets"]["parent"]["job"]["name"], "shop.nightly");
  }
  EXPECT_EQ(events[6]["run"]["runId"], parent);
  const auto& fct_start = events[0];
  const auto& fct_end = events[1];
  EXPECT_EQ(fct_start["eventType"], "START");
  EXPECT_EQ(fct_end["eventType"], "FAIL");
  EXPECT_EQ(fct_start["run"]["runId"], fct_end["run"]["runId"]);
  EXPECT_NE(fct_start["run"]["runId"], parent);
  EXPECT_EQ(fct_start["job"]["name"], "shop.main.shop.fct");
  EXPECT_EQ(fct_start["job"]["facets"]["jobType"]["jobType"], "MODEL");
  EXPECT_EQ(fct_start["job"]["facets"]["sql"]["dialect"], "duckdb");
  EXPECT_EQ(fct_start["job"]["facets"]["dbt_node"]["unique_id"], "model.shop.fct");
  EXPECT_EQ(fct_end["run"]["facets"]["errorMessage"]["message"], "Runtime Error in model fct");
  EXPECT_EQ(fct_start["outputs"], json::parse(R"([{"namespace":"duckdb://shop","name":"shop.main.fct"}])"));
  EXPECT_EQ(fct_start["inputs"], json::parse(R"([{"namespace":"duckdb://shop","name":"shop.main.stg_alias"},
                                                 {"namespace":"duckdb://shop","name":"shop.raw.orders_table"}])"));
  EXPECT_EQ(fct_start["eventTime"], common::to_rfc3339(at(1'775'131'210'000)));
  EXPECT_EQ(fct_end["eventTime"], common::to_rfc3339(at(1'775'131'220'000)));
  EXPECT_EQ(events[2]["job"]["facets"]["jobType"]["jobType"], "SEED");
  EXPECT_EQ(events[3]["eventType"], "COMPLETE");
  EXPECT_EQ(events[5]["eventType"], "ABORT");  // skipped
  // The same run built again gives the same runIds: a re-sent event keeps its run.
  EXPECT_EQ(bodies(lineage_owed(c, run))[0]["run"]["runId"], fct_start["run"]["runId"]);
}

TEST_F(LineageEvents, SqlmeshModelsHaveEventsWithoutDatasets) {
  c.project.type = "sqlmesh";
  c.manifest.reset();
  c.nodes = {node("model.bakery.daily_sales", "model", "success"), node("audit.not_null", "audit", "pass")};
  const auto events = bodies(lineage_owed(c, run));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["job"]["name"], "shop.daily_sales");
  EXPECT_EQ(events[0]["job"]["facets"]["jobType"]["integration"], "SQLMESH");
  EXPECT_TRUE(events[0]["outputs"].empty());
  EXPECT_FALSE(events[2]["run"]["facets"].contains("processing_engine")) << "dbt's facets are dbt's";
}

TEST_F(LineageEvents, ModelEventsAreCappedAndTheRestCounted) {
  for (std::size_t i = 0; i < kMaxLineageModels + 3; ++i) c.nodes.push_back(node("model.shop.m" + std::to_string(i), "model", "success"));
  const auto events = bodies(lineage_owed(c, run));
  ASSERT_EQ(events.size(), 2 * kMaxLineageModels + 1);
  EXPECT_EQ(events.back()["run"]["facets"]["dagctl_run"]["models_omitted"], 3);
}

TEST_F(LineageEvents, AnOversizedBodyLosesItsSqlFirst) {
  auto m = parse_lineage_manifest(kManifest);
  m.nodes["model.shop.fct"].compiled_sql = std::string(kMaxLineageBody, 'y');  // as if the SQL cap were higher
  c.manifest = std::make_shared<const LineageManifest>(m);
  c.nodes = {node("model.shop.fct", "model", "success")};
  const auto ds = lineage_owed(c, run);
  for (const auto& d : ds) EXPECT_LE(d.body.size(), kMaxLineageBody);
  const auto start = json::parse(ds[0].body);
  EXPECT_FALSE(start["job"]["facets"].contains("sql"));
  EXPECT_EQ(start["outputs"].size(), 1u);
}

TEST(LineageManifest, OverTheCapOrNotJsonLeavesANote) {
  const std::string path = ::testing::TempDir() + "/lineage_manifest.json";
  std::ofstream(path) << kManifest;
  EXPECT_TRUE(read_lineage_manifest(path).read);
  const auto capped = read_lineage_manifest(path, 10);
  EXPECT_FALSE(capped.read);
  EXPECT_NE(capped.note.find("cap"), std::string::npos);
  EXPECT_FALSE(read_lineage_manifest(path + ".absent").read);
  EXPECT_TRUE(read_lineage_manifest(path + ".absent").note.empty());
  const auto bad = parse_lineage_manifest("{not json");
  EXPECT_FALSE(bad.read);
  EXPECT_FALSE(bad.note.empty());
  const auto m = parse_lineage_manifest(kManifest);
  EXPECT_EQ(m.nodes.count("test.shop.t"), 0u);
  EXPECT_EQ(m.nodes.at("source.shop.raw.orders").relation, "orders_table");
}

TEST(LineageManifest, SqlOverItsCapIsLeftOut) {
  std::string manifest = kManifest;
  manifest.insert(manifest.find("select * from"), std::string(kMaxLineageSql, 'x'));
  EXPECT_TRUE(parse_lineage_manifest(manifest).nodes.at("model.shop.fct").compiled_sql.empty());
}

}  // namespace
}  // namespace dagctl::daemon::webhooks
