// Tests for daemon/api/views: a run's `progress` as the API shows it (docs/runs.md, Progress).
#include "daemon/api/views.hpp"

#include <gtest/gtest.h>

#include "common/time.hpp"

namespace {

namespace runner = dagctl::daemon::runner;
namespace store = dagctl::daemon::store;
using dagctl::common::parse_rfc3339;
using dagctl::common::RunStatus;
using dagctl::daemon::api::progress_json;
using dagctl::daemon::api::run_json;
using dagctl::daemon::api::warm_json;

TEST(ProgressJson, RunningNodesCountTheirElapsedTimeToTheDaemonsClock) {
  runner::Progress p;
  p.phase = runner::Phase::running;
  p.done = 3;
  p.total = 30;
  p.running.push_back({"model.shop.calendar", "calendar", "model", *parse_rfc3339("2026-12-06T21:25:41.897Z")});
  const auto json = progress_json(p, *parse_rfc3339("2026-12-06T21:25:54.297Z"));
  EXPECT_EQ(json, nlohmann::json::parse(R"({"phase": "running", "done": 3, "total": 30,
      "running": [{"unique_id": "model.shop.calendar", "name": "calendar", "resource_type": "model",
                   "started_at": "2026-12-06T21:25:41.897Z", "elapsed_seconds": 12.4}],
      "waiting_for": null, "queued_behind": null})"));
  // A clock behind dbt's never shows a negative time.
  EXPECT_EQ(progress_json(p, *parse_rfc3339("2026-12-06T21:25:41Z"))["running"][0]["elapsed_seconds"], 0.0);
}

TEST(ProgressJson, QueuedRunSaysWhatItWaitsFor) {
  runner::Progress p;
  p.phase = runner::Phase::queued;
  p.queued_behind = "r1";
  p.waiting_for = "run r1 (shop/default) to finish";
  const auto json = progress_json(p, dagctl::common::now());
  EXPECT_EQ(json["phase"], "queued");
  EXPECT_EQ(json["queued_behind"], "r1");
  EXPECT_EQ(json["waiting_for"], "run r1 (shop/default) to finish");
  EXPECT_EQ(json["running"], nlohmann::json::array());
}

TEST(RunJson, ProgressOnlyWhileQueuedOrRunning) {
  store::Run r;
  r.id = "r1";
  runner::Progress p;
  for (const auto status : {RunStatus::queued, RunStatus::running}) {
    r.status = status;
    EXPECT_TRUE(run_json(r, p).contains("progress")) << dagctl::common::to_string(status);
  }
  for (const auto status : {RunStatus::success, RunStatus::failed, RunStatus::cancelled}) {
    r.status = status;
    EXPECT_FALSE(run_json(r, p).contains("progress")) << dagctl::common::to_string(status);
  }
}

TEST(WarmJson, ModeIdleAndEachWorkerWithEmptyStringsAsNull) {
  runner::warm::WorkerInfo ready{"p-1", "shop", "ready", "", 4242, 87031808, "1.11.16", 12,
                                 "2026-12-07T03:00:00Z", "2026-12-07T03:10:00Z"};
  runner::warm::WorkerInfo cold;
  cold.project_id = "p-2";
  cold.project_name = "fake";
  cold.state = "cold";
  cold.reason = "dbt is not a Python dbt-core (import failed)";
  const auto j = warm_json("on", 300, {ready, cold});
  EXPECT_EQ(j["mode"], "on");
  EXPECT_EQ(j["idle_seconds"], 300);
  ASSERT_EQ(j["workers"].size(), 2u);
  EXPECT_EQ(j["workers"][0], (nlohmann::json{{"project_id", "p-1"}, {"project", "shop"}, {"state", "ready"},
                                             {"reason", nullptr}, {"pid", 4242}, {"rss_bytes", 87031808},
                                             {"dbt_version", "1.11.16"}, {"runs", 12},
                                             {"started_at", "2026-12-07T03:00:00Z"},
                                             {"last_used_at", "2026-12-07T03:10:00Z"}}));
  EXPECT_EQ(j["workers"][1]["reason"], "dbt is not a Python dbt-core (import failed)");
  EXPECT_EQ(j["workers"][1]["pid"], 0);
  EXPECT_TRUE(j["workers"][1]["started_at"].is_null());
  EXPECT_TRUE(j["workers"][1]["dbt_version"].is_null());
  EXPECT_EQ(warm_json("off", 60, {}), (nlohmann::json{{"mode", "off"}, {"idle_seconds", 60}, {"workers", nlohmann::json::array()}}));
}

}  // namespace
