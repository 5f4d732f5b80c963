// Tests for daemon/metrics/scrape: a scrape over a real store — queue gauges per project,
// each model's last success read once and then from the runs that ended, and the cap on
// models per project with its dropped count (docs/metrics.md, Cardinality).
#include "daemon/metrics/scrape.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_store_fixture.hpp"

namespace {

using nlohmann::json;
using dagctl::daemon::metrics::DaemonFacts;
using dagctl::daemon::metrics::Metrics;
using dagctl::daemon::metrics::Scraper;
using dagctl::daemon::store::NodeRecord;
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp

NodeRecord model(const std::string& name, const std::string& status, std::int64_t finished_ms, double seconds) {
  NodeRecord n;
  n.unique_id = "model.shop." + name;
  n.name = name;
  n.resource_type = "model";
  n.status = status;
  n.finished_at = at(finished_ms);
  n.execution_time = seconds;
  return n;
}

class MetricsScrape : public StoreFixture {
protected:
  // A run of job "default" that built `nodes` and ended `status`; told to `metrics`.
  void finished_run(const std::string& id, const std::vector<NodeRecord>& nodes, RunStatus status = RunStatus::success) {
    store().runs().insert(make_run(id, job("job-default")), 100);
    ASSERT_TRUE(store().runs().mark_running(id, dagctl::common::now()));
    store().nodes().upsert(id, nodes);
    const auto run = store().runs().find(id);
    ASSERT_TRUE(store().runs().finish(id, status, dagctl::common::now(), 0, std::nullopt, json::object()));
    metrics_.run_finished(*run, status, dagctl::common::now());
  }
  static bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

  Metrics metrics_;
};

TEST_F(MetricsScrape, QueueGaugesPerProjectAndDaemonFacts) {
  add_shop();
  store().runs().insert(make_run("q1", job("job-default")), 100);
  store().runs().insert(make_run("q2", job("job-nightly")), 100);
  Scraper scraper(store(), metrics_, DaemonFacts{"1.2.3", at(1'775'131'200'000), nullptr});
  const std::string text = scraper.render();
  EXPECT_TRUE(has(text, "dagctl_runs_queued{project=\"shop\"} 2")) << text;
  EXPECT_TRUE(has(text, "dagctl_runs_running{project=\"shop\"} 0")) << text;
  EXPECT_TRUE(has(text, "dagctl_outbox_pending_deliveries{kind=\"webhook\"} 0")) << text;
  EXPECT_TRUE(has(text, "dagctl_outbox_pending_deliveries{kind=\"slack\"} 0")) << text;
  EXPECT_TRUE(has(text, "dagctl_build_info{version=\"1.2.3\"} 1")) << text;
  EXPECT_TRUE(has(text, "dagctl_start_time_seconds 1775131200")) << text;
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE dagctl_queue_oldest_age_seconds gauge"), std::string::npos) << text;
}

TEST_F(MetricsScrape, ModelsLastSuccessFirstReadWholeThenFromEndedRuns) {
  add_shop();
  finished_run("r1", {model("a", "success", 1'000'000, 1.5), model("b", "error", 1'000'000, 2)}, RunStatus::failed);
  Scraper scraper(store(), metrics_, DaemonFacts{"x", at(0), nullptr});
  std::string text = scraper.render();
  EXPECT_TRUE(has(text, "dagctl_model_last_success_timestamp_seconds{project=\"shop\",model=\"a\",unique_id=\"model.shop.a\"} 1000")) << text;
  EXPECT_TRUE(has(text, "dagctl_model_last_success_duration_seconds{project=\"shop\",model=\"a\",unique_id=\"model.shop.a\"} 1.5")) << text;
  EXPECT_EQ(text.find("model=\"b\""), std::string::npos) << "b never succeeded\n" << text;

  finished_run("r2", {model("a", "error", 2'000'000, 1), model("b", "success", 2'000'000, 4)});
  text = scraper.render();
  EXPECT_TRUE(has(text, "dagctl_model_last_success_timestamp_seconds{project=\"shop\",model=\"a\",unique_id=\"model.shop.a\"} 1000")) << text;
  EXPECT_TRUE(has(text, "dagctl_model_last_success_timestamp_seconds{project=\"shop\",model=\"b\",unique_id=\"model.shop.b\"} 2000")) << text;
  EXPECT_TRUE(has(text, "dagctl_model_series_dropped{project=\"shop\"} 0")) << text;
}

TEST_F(MetricsScrape, ModelsBeyondTheCapPerProjectAreCountedNotShown) {
  add_shop();
  finished_run("r1", {model("a", "success", 1'000'000, 1), model("b", "success", 1'000'000, 1),
                      model("c", "success", 1'000'000, 1)});
  Scraper scraper(store(), metrics_, DaemonFacts{"x", at(0), nullptr}, /*max_models_per_project=*/2);
  const std::string text = scraper.render();
  EXPECT_NE(text.find("model=\"a\""), std::string::npos) << text;
  EXPECT_NE(text.find("model=\"b\""), std::string::npos) << text;
  EXPECT_EQ(text.find("model=\"c\""), std::string::npos) << text;
  EXPECT_TRUE(has(text, "dagctl_model_series_dropped{project=\"shop\"} 1")) << text;
}

}  // namespace
