// Tests for daemon/store/run_store: the run rules it enforces (a run never leaves a terminal
// status, the per-job queue bound; docs/api.md) and a run's end with its webhook.
#include "daemon/store/run_store.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_store_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dagctl::common::to_string;
using nlohmann::json;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;               // test_util.hpp
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp

class RunStore : public StoreFixture {};

TEST_F(RunStore, InsertRunRespectsMaxQueuedPerJob) {
  add_shop();
  const Job dflt = job("job-default");
  store().runs().insert(make_run("r1", dflt), 2);
  store().runs().insert(make_run("r2", dflt), 2);
  try {
    store().runs().insert(make_run("r3", dflt), 2);
    FAIL() << "a third queued run was accepted with a bound of 2";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::queue_full);
    EXPECT_NE(std::string(e.what()).find('2'), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store().runs().find("r3").has_value());
  // The bound is per job.
  EXPECT_NO_THROW(store().runs().insert(make_run("n1", job("job-nightly")), 2));
  // Only queued runs count: once one runs, there is room again.
  ASSERT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  EXPECT_NO_THROW(store().runs().insert(make_run("r3", dflt), 2));
  EXPECT_EQ(store().runs().count_active().queued, 3);
}

TEST_F(RunStore, InsertedRunRoundTrips) {
  add_shop();
  store().runs().insert(make_run("run-0", job("job-default")), 10);
  auto r = make_run("run-1", job("job-default"));
  r.triggered_by = "api";
  r.command_override = "dbt run --select orders";
  r.retry_of = "run-0";
  r.created_at = at(1'775'131'200'123);
  store().runs().insert(r, 10);
  const auto found = store().runs().find("run-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_GT(found->seq, 0);
  EXPECT_EQ(found->job_id, "job-default");
  EXPECT_EQ(found->project_id, "prj-shop");
  EXPECT_EQ(found->job_name, "default");
  EXPECT_EQ(to_string(found->status), "queued");
  EXPECT_EQ(found->triggered_by, "api");
  EXPECT_EQ(found->command, "dbt build");
  EXPECT_EQ(found->command_override, "dbt run --select orders");
  EXPECT_EQ(found->retry_of, "run-0");
  EXPECT_EQ(found->created_at, r.created_at);
  EXPECT_FALSE(found->start_time.has_value());
  EXPECT_FALSE(found->end_time.has_value());
  EXPECT_FALSE(found->exit_code.has_value());
  EXPECT_FALSE(found->error_message.has_value());
  EXPECT_EQ(found->results, json::object());
  EXPECT_FALSE(store().runs().find("run-2").has_value());
}

TEST_F(RunStore, TheStateToDeferToComesFromARunThatBuiltSomething) {
  add_shop();
  const Job dflt = job("job-default");
  const auto ended = [&](const std::string& id, const std::string& command, bool nothing_selected) {
    auto r = make_run(id, dflt);
    r.command = command;
    store().runs().insert(r, 100);
    ASSERT_TRUE(store().runs().mark_running(id, dagctl::common::now()));
    ASSERT_TRUE(store().runs().finish(id, RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object(),
                                      {}, nothing_selected));
  };
  EXPECT_EQ(store().runs().newest_successful("job-default"), std::nullopt);
  ended("built", "dbt build", false);
  ended("empty", "dbt build --select nothing", true);
  ended("listed", "dbt ls --quiet --select a", false);
  ended("listed2", "dbt list", false);
  EXPECT_EQ(store().runs().newest_successful("job-default"), "built");
  ended("built2", "dbt run --select lsx", false);
  EXPECT_EQ(store().runs().newest_successful("job-default"), "built2");
}

TEST_F(RunStore, ListRunsIsNewestFirstWithFiltersAndACursor) {
  add_shop();
  const Job dflt = job("job-default");
  const Job nightly = job("job-nightly");
  for (int i = 1; i <= 5; ++i) store().runs().insert(make_run("d" + std::to_string(i), dflt), 100);
  for (int i = 1; i <= 3; ++i) store().runs().insert(make_run("n" + std::to_string(i), nightly), 100);
  ASSERT_TRUE(store().runs().mark_running("d1", dagctl::common::now()));
  ASSERT_TRUE(store().runs().finish("d1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object(),
                                    {}, /*nothing_selected=*/true));
  EXPECT_TRUE(store().runs().find("d1")->nothing_selected);
  ASSERT_TRUE(store().runs().finish("n2", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                    "cancelled by request before it started", json::object()));

  RunFilter all;
  EXPECT_EQ(ids(store().runs().list(all)),
            (std::vector<std::string>{"n3", "n2", "n1", "d5", "d4", "d3", "d2", "d1"}));

  RunFilter by_job;
  by_job.job_id = "job-nightly";
  EXPECT_EQ(ids(store().runs().list(by_job)), (std::vector<std::string>{"n3", "n2", "n1"}));

  RunFilter by_project;
  by_project.project_id = "prj-shop";
  EXPECT_EQ(store().runs().list(by_project).size(), 8u);
  by_project.project_id = "prj-nope";
  EXPECT_TRUE(store().runs().list(by_project).empty());

  RunFilter by_status;
  by_status.statuses = {RunStatus::queued};
  EXPECT_EQ(ids(store().runs().list(by_status)), (std::vector<std::string>{"n3", "n1", "d5", "d4", "d3", "d2"}));
  by_status.job_id = "job-default";
  by_status.limit = 2;
  EXPECT_EQ(ids(store().runs().list(by_status)), (std::vector<std::string>{"d5", "d4"}));

  // Paging with before_seq: each page starts below the last seq of the previous one.
  RunFilter page;
  page.limit = 3;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    const auto runs = store().runs().list(page);
    if (runs.empty()) break;
    EXPECT_LE(runs.size(), 3u);
    for (const auto& r : runs) seen.push_back(r.id);
    page.before_seq = runs.back().seq;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"n3", "n2", "n1", "d5", "d4", "d3", "d2", "d1"}));

  RunFilter job_page;
  job_page.job_id = "job-default";
  job_page.before_seq = store().runs().find("d4")->seq;
  EXPECT_EQ(ids(store().runs().list(job_page)), (std::vector<std::string>{"d3", "d2", "d1"}));
}

TEST_F(RunStore, ListFiltersBySeveralStatusesAgeAndIdPrefix) {
  add_shop();
  const Job dflt = job("job-default");
  const auto now = dagctl::common::now();
  const std::vector<std::pair<std::string, std::int64_t>> runs = {
      {"abcdef-old", 48 * 3600}, {"abcdef-1", 3600}, {"abcxyz-2", 60}, {"ffffff-3", 1}};
  for (const auto& [id, age_seconds] : runs) {
    auto r = make_run(id, dflt);
    r.created_at = now - std::chrono::seconds(age_seconds);
    store().runs().insert(r, 100);
  }
  ASSERT_TRUE(store().runs().finish("abcdef-1", RunStatus::failed, now, 1, "boom", json::object()));
  ASSERT_TRUE(store().runs().finish("abcxyz-2", RunStatus::error, now, 2, "boom", json::object()));
  ASSERT_TRUE(store().runs().finish("abcdef-old", RunStatus::failed, now, 1, "boom", json::object()));

  RunFilter failing;
  failing.statuses = {RunStatus::failed, RunStatus::error};
  EXPECT_EQ(ids(store().runs().list(failing)), (std::vector<std::string>{"abcxyz-2", "abcdef-1", "abcdef-old"}));

  RunFilter recent = failing;
  recent.created_since = now - std::chrono::hours(24);
  EXPECT_EQ(ids(store().runs().list(recent)), (std::vector<std::string>{"abcxyz-2", "abcdef-1"}));

  RunFilter prefix;
  prefix.id_prefix = "abcdef";
  EXPECT_EQ(ids(store().runs().list(prefix)), (std::vector<std::string>{"abcdef-1", "abcdef-old"}));
  prefix.id_prefix = "abc";
  EXPECT_EQ(store().runs().list(prefix).size(), 3u);
  prefix.id_prefix = "abcdef-1";  // a whole id is its own prefix
  EXPECT_EQ(ids(store().runs().list(prefix)), (std::vector<std::string>{"abcdef-1"}));
  prefix.id_prefix = "abc%";  // no LIKE wildcards
  EXPECT_TRUE(store().runs().list(prefix).empty());
}

TEST_F(RunStore, ARunCarriesItsProjectsNameAndItsJobsCurrentName) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-nightly")), 100);
  auto found = store().runs().find("r1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->project_name, "shop");
  EXPECT_EQ(found->job_current_name, "nightly");
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  store().jobs().remove("job-nightly");
  found = store().runs().find("r1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->project_name, "shop");
  EXPECT_FALSE(found->job_current_name.has_value());  // the run stays; its job is gone
  EXPECT_EQ(store().runs().list(RunFilter{}).front().project_name, "shop");
}

TEST_F(RunStore, RunsWithStatusAreInQueueOrder) {
  add_shop();
  store().runs().insert(make_run("a", job("job-default")), 100);
  store().runs().insert(make_run("b", job("job-nightly")), 100);
  store().runs().insert(make_run("c", job("job-default")), 100);
  EXPECT_EQ(ids(store().runs().with_status(RunStatus::queued)), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(store().runs().mark_running("b", dagctl::common::now()));
  EXPECT_EQ(ids(store().runs().with_status(RunStatus::queued)), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ids(store().runs().with_status(RunStatus::running)), (std::vector<std::string>{"b"}));
}

// Retention may delete a run between `dagctl retry`'s look at it and the insert: the
// insert itself refuses then, so no retry is queued without its source.
TEST_F(RunStore, ARetryOfARunThatIsGoneIsRefused) {
  add_shop();
  auto r = make_run("retry-1", job("job-default"));
  r.retry_of = "pruned-run";
  try {
    store().runs().insert(r, 10);
    FAIL() << "the insert should have been refused";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::not_found);
    EXPECT_NE(std::string(e.what()).find("pruned-run"), std::string::npos);
  }
  EXPECT_FALSE(store().runs().find("retry-1").has_value());
}

TEST_F(RunStore, NextQueuedRunsAreEachFreeProjectsOldestInQueueOrder) {
  add_shop();
  store().projects().create(make_project("prj-blog", "blog", org_), {make_job("job-blog", "prj-blog")});
  store().projects().create(make_project("prj-wiki", "wiki", org_), {make_job("job-wiki", "prj-wiki")});
  for (const auto& [id, job_id] : std::vector<std::pair<std::string, std::string>>{
           {"s1", "job-default"}, {"b1", "job-blog"}, {"s2", "job-nightly"}, {"w1", "job-wiki"}, {"b2", "job-blog"}}) {
    store().runs().insert(make_run(id, job(job_id)), 100);
  }
  EXPECT_EQ(ids(store().runs().next_queued({}, 10)), (std::vector<std::string>{"s1", "b1", "w1"}))
      << "one per project, the oldest, in trigger order";
  EXPECT_EQ(ids(store().runs().next_queued({}, 2)), (std::vector<std::string>{"s1", "b1"}));
  EXPECT_EQ(ids(store().runs().next_queued({"prj-shop"}, 10)), (std::vector<std::string>{"b1", "w1"}))
      << "a busy project's runs wait";
  ASSERT_TRUE(store().runs().mark_running("s1", dagctl::common::now()));
  ASSERT_TRUE(store().runs().finish("b1", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "cancelled",
                                    json::object()));
  EXPECT_EQ(ids(store().runs().next_queued({}, 10)), (std::vector<std::string>{"s2", "w1", "b2"}));
  EXPECT_TRUE(store().runs().next_queued({"prj-shop", "prj-blog", "prj-wiki"}, 10).empty());
}

// A SQLMesh plan's summary is kept with its run (docs/sqlmesh.md, Plans); other runs have none.
TEST_F(RunStore, FinishKeepsAPlanAndFindReadsItBack) {
  add_shop();
  const json plan = {{"environment", "prod"},
                     {"applied", true},
                     {"added", {"bakery.daily_sales"}},
                     {"backfill", {{{"model", "bakery.daily_sales"}, {"intervals", "2026-12-01 - 2026-12-03"}}}}};
  store().runs().insert(make_run("planned", job("job-default")), 10);
  store().runs().insert(make_run("plain", job("job-default")), 10);
  ASSERT_TRUE(store().runs().mark_running("planned", at(1'775'131'201'000)));
  ASSERT_TRUE(store().runs().finish("planned", RunStatus::success, at(1'775'131'260'000), 0, std::nullopt,
                                    json{{"success", 9}}, {}, false, plan));
  ASSERT_TRUE(store().runs().finish("plain", RunStatus::success, at(1'775'131'260'000), 0, std::nullopt,
                                    json::object()));
  EXPECT_EQ(store().runs().find("planned")->plan, plan);
  EXPECT_TRUE(store().runs().find("plain")->plan.is_null());
  EXPECT_TRUE(store().runs().find("planned")->results == (json{{"success", 9}}));
  // A run still queued has none; a list reads it as find does.
  store().runs().insert(make_run("queued", job("job-default")), 10);
  EXPECT_TRUE(store().runs().find("queued")->plan.is_null());
  for (const auto& run : store().runs().list(RunFilter{})) {
    EXPECT_EQ(run.plan, run.id == "planned" ? plan : json(nullptr)) << run.id;
  }
  // Also across a restart; and a plan_json that is not JSON reads as none rather than failing.
  open();
  EXPECT_EQ(store().runs().find("planned")->plan, plan);
  close();
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE runs SET plan_json = '{broken' WHERE id = 'plain'");
  }
  open();
  EXPECT_TRUE(store().runs().find("plain")->plan.is_null());
}

TEST_F(RunStore, FinishRunNeverLeavesATerminalStatus) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().runs().mark_running("r1", at(1'775'131'201'000)));
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::partial, at(1'775'131'260'000), 1,
                                    "1 node failed: model.shop.orders (Division by zero)",
                                    json{{"success", 4}, {"error", 1}}));
  EXPECT_FALSE(store().runs().finish("r1", RunStatus::error, at(1'775'131'300'000), 2, "daemon stopped",
                                     json::object()));
  EXPECT_FALSE(store().runs().finish("r1", RunStatus::success, at(1'775'131'300'000), 0, std::nullopt,
                                     json::object()));
  EXPECT_FALSE(store().runs().mark_running("r1", at(1'775'131'300'000)));

  const auto run = store().runs().find("r1");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(to_string(run->status), "partial");
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_EQ(run->error_message, "1 node failed: model.shop.orders (Division by zero)");
  EXPECT_EQ(run->results, (json{{"success", 4}, {"error", 1}}));
  EXPECT_EQ(run->start_time, at(1'775'131'201'000));
  EXPECT_EQ(run->end_time, at(1'775'131'260'000));

  // Also across a restart.
  open();
  EXPECT_FALSE(store().runs().finish("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                     "cancelled", json::object()));
  EXPECT_EQ(to_string(store().runs().find("r1")->status), "partial");
}

dagctl::daemon::store::Delivery delivery_for(const Run& run, const std::string& id) {
  dagctl::daemon::store::Delivery d;
  d.id = id;
  d.job_id = run.job_id;
  d.run_id = run.id;
  d.event = "job.failed";
  d.url = "http://airflow:8080/api/v1/dags/shop/dagRuns";
  d.body = R"({"conf":{}})";
  d.next_attempt_at = dagctl::common::now();
  d.created_at = d.next_attempt_at;
  return d;
}

TEST_F(RunStore, FinishRunStoresEveryDeliveryItOwesOnlyOnce) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  int asked = 0;
  const auto owed = [&](const store::Run& finished) -> std::vector<dagctl::daemon::store::Delivery> {
    ++asked;
    EXPECT_EQ(to_string(finished.status), "error") << "it sees the run as finished";
    EXPECT_TRUE(finished.end_time.has_value());
    auto slack = delivery_for(finished, "dlv-slack-" + std::to_string(asked));
    slack.kind = store::delivery_kind::slack;
    return {delivery_for(finished, "dlv-" + std::to_string(asked)), slack};
  };
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::error, dagctl::common::now(), 2, "dbt exited with code 2",
                                    json::object(), owed));
  EXPECT_FALSE(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                     json::object(), owed));
  EXPECT_EQ(asked, 1) << "a run that was terminal already owes nothing again";
  const auto delivery = store().deliveries().find("dlv-1");
  ASSERT_TRUE(delivery.has_value());
  EXPECT_EQ(delivery->run_id, "r1");
  EXPECT_EQ(delivery->status, "pending");
  EXPECT_EQ(delivery->kind, "webhook");
  EXPECT_EQ(store().deliveries().find("dlv-slack-1")->kind, "slack");
  EXPECT_EQ(store().deliveries().list("job-default", 10).size(), 2u);
}

TEST_F(RunStore, RunEndAndItsWebhookAreOneTransaction) {
  // If the delivery cannot be stored, the run keeps its status: never an end without its webhook.
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  store::Run stored = *store().runs().find("r1");
  store().deliveries().insert(delivery_for(stored, "dlv-taken"));
  const auto owed = [&](const store::Run& finished) -> std::vector<dagctl::daemon::store::Delivery> {
    return {delivery_for(finished, "dlv-taken")};  // the id exists: the insert fails
  };
  EXPECT_ANY_THROW(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                         json::object(), owed));
  EXPECT_EQ(to_string(store().runs().find("r1")->status), "running");
  EXPECT_FALSE(store().runs().find("r1")->end_time.has_value());

  const auto throws = [](const store::Run&) -> std::vector<dagctl::daemon::store::Delivery> {
    throw std::runtime_error("could not build the body");
  };
  EXPECT_ANY_THROW(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                         json::object(), throws));
  EXPECT_EQ(to_string(store().runs().find("r1")->status), "running");

  // Nothing owed: the run ends and no delivery appears.
  const auto none = [](const store::Run&) -> std::vector<dagctl::daemon::store::Delivery> { return {}; };
  EXPECT_TRUE(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                    json::object(), none));
  EXPECT_EQ(to_string(store().runs().find("r1")->status), "success");
  EXPECT_EQ(store().deliveries().list("job-default", 10).size(), 1u);  // only dlv-taken
}

TEST_F(RunStore, FinishRunEndsAQueuedRun) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  EXPECT_TRUE(store().runs().finish("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                    "cancelled by request before it started", json::object()));
  const auto run = store().runs().find("r1");
  EXPECT_EQ(to_string(run->status), "cancelled");
  EXPECT_FALSE(run->start_time.has_value());
  EXPECT_FALSE(run->exit_code.has_value());
  EXPECT_FALSE(store().runs().finish("no-such-run", RunStatus::error, dagctl::common::now(), std::nullopt,
                                     "x", json::object()));
}

TEST_F(RunStore, MarkRunningRefusesRunsThatAreNotQueued) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  store().runs().insert(make_run("r2", job("job-default")), 10);
  EXPECT_TRUE(store().runs().mark_running("r1", at(1'775'131'201'000)));
  EXPECT_FALSE(store().runs().mark_running("r1", at(1'775'131'202'000))) << "already running";
  EXPECT_EQ(store().runs().find("r1")->start_time, at(1'775'131'201'000)) << "start time kept";
  EXPECT_EQ(to_string(store().runs().find("r1")->status), "running");

  ASSERT_TRUE(store().runs().finish("r2", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                    "cancelled", json::object()));
  EXPECT_FALSE(store().runs().mark_running("r2", dagctl::common::now())) << "cancelled before it started";
  EXPECT_EQ(to_string(store().runs().find("r2")->status), "cancelled");
  EXPECT_FALSE(store().runs().mark_running("no-such-run", dagctl::common::now()));
}

// An OpenLineage START is owed by the move to running, in its transaction (docs/openlineage.md).
TEST_F(RunStore, MarkRunningStoresWhatItsStartOwesOnlyWhenItStarts) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  store().runs().insert(make_run("r2", job("job-default")), 10);
  int calls = 0;
  const auto owed = [&](const store::Run& started) -> std::vector<dagctl::daemon::store::Delivery> {
    ++calls;
    EXPECT_EQ(to_string(started.status), "running");
    EXPECT_EQ(started.start_time, at(1'775'131'201'000)) << "the run as stored";
    auto d = delivery_for(started, "dlv-start-" + started.id);
    d.kind = "openlineage";
    return {d};
  };
  ASSERT_TRUE(store().runs().mark_running("r1", at(1'775'131'201'000), owed));
  EXPECT_EQ(store().deliveries().find("dlv-start-r1")->kind, "openlineage");
  EXPECT_FALSE(store().runs().mark_running("r1", at(1'775'131'201'000), owed)) << "already running";
  ASSERT_TRUE(store().runs().finish("r2", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                    "cancelled", json::object()));
  EXPECT_FALSE(store().runs().mark_running("r2", at(1'775'131'201'000), owed));
  EXPECT_EQ(calls, 1) << "nothing is owed by a start that did not happen";
  EXPECT_FALSE(store().deliveries().find("dlv-start-r2"));
}

TEST_F(RunStore, RecordedProcessIsClearedWhenTheRunEnds) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  store().runs().record_process("r1", 4242, 987654);
  EXPECT_EQ(store().runs().find("r1")->pid, 4242);
  EXPECT_EQ(store().runs().find("r1")->pid_start_ticks, 987654);
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_EQ(store().runs().find("r1")->pid, 0);
  EXPECT_EQ(store().runs().find("r1")->pid_start_ticks, 0);
}

TEST_F(RunStore, CountActiveRunsCountsQueuedAndRunningOnly) {
  add_shop();
  EXPECT_EQ(store().runs().count_active().queued, 0);
  EXPECT_EQ(store().runs().count_active().running, 0);
  // r2 in another project: one project runs one run at a time (docs/runs.md, Several daemons).
  store().projects().create(make_project("prj-web", "web", org_), {make_job("job-web", "prj-web")});
  for (const auto* id : {"r1", "r3", "r4", "r5"}) store().runs().insert(make_run(id, job("job-default")), 10);
  store().runs().insert(make_run("r2", job("job-web")), 10);
  ASSERT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  ASSERT_TRUE(store().runs().mark_running("r2", dagctl::common::now()));
  ASSERT_TRUE(store().runs().finish("r2", RunStatus::failed, dagctl::common::now(), 1, "x", json::object()));
  ASSERT_TRUE(store().runs().finish("r3", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "x",
                                    json::object()));
  const auto counts = store().runs().count_active();
  EXPECT_EQ(counts.running, 1);
  EXPECT_EQ(counts.queued, 2);
}

// The runs list's triggered_by= and until= (docs/api.md, Listing runs and paging).
TEST_F(RunStore, ListFiltersByTriggerAndCreatedBefore) {
  add_shop();
  const std::vector<std::pair<const char*, const char*>> made = {
      {"m1", "manual"}, {"s1", "schedule"}, {"m2", "manual"}, {"r1", "retry"}, {"s2", "schedule"}};
  std::int64_t ms = 1'775'131'200'000;
  for (const auto& [id, by] : made) {
    auto r = make_run(id, job("job-default"));
    r.triggered_by = by;
    r.created_at = at(ms += 60'000);  // a minute apart, in seq order
    store().runs().insert(r, 10);
  }
  store::RunFilter f;
  f.triggered_by = {"schedule"};
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"s2", "s1"}));
  f.triggered_by = {"manual", "retry"};
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"r1", "m2", "m1"}));
  // until: created strictly before; r1 was created at 1'775'131'440'000.
  f = {};
  f.created_until = at(1'775'131'440'000);
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"m2", "s1", "m1"}));
  f.created_until = at(1'775'131'440'001);
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"r1", "m2", "s1", "m1"}));
  f.created_until = at(1'775'131'000'000);  // before every run
  EXPECT_TRUE(store().runs().list(f).empty());
  f.created_until = at(1'775'999'000'000);  // after every run
  EXPECT_EQ(store().runs().list(f).size(), 5u);
  // With the other filters: since and until make a window; paging goes on within it.
  f.created_until = at(1'775'131'440'000);
  f.created_since = at(1'775'131'320'000);
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"m2", "s1"}));
  f.triggered_by = {"manual"};
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"m2"}));
  f = {};
  f.created_until = at(1'775'131'440'001);
  f.limit = 2;
  const auto page = store().runs().list(f);
  ASSERT_EQ(ids(page), (std::vector<std::string>{"r1", "m2"}));
  f.before_seq = page.back().seq;
  EXPECT_EQ(ids(store().runs().list(f)), (std::vector<std::string>{"s1", "m1"}));
}

// The list stays an index walk with 100,000 runs (docs/benchmarks.md): no filter reads
// the whole table, and until= starts at its bound.
TEST_F(RunStore, ListFiltersUseIndexes) {
  add_shop();
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  const auto plan = [&](const store::RunFilter& f) {
    SQLite::Statement s(db, "EXPLAIN QUERY PLAN " + store::RunStore::list_query(f));
    std::string out;
    while (s.executeStep()) out += s.getColumn(3).getString() + "\n";
    return out;
  };
  store::RunFilter f;
  f.triggered_by = {"schedule"};
  EXPECT_NE(plan(f).find("USING INDEX runs_by_trigger"), std::string::npos) << plan(f);
  f.triggered_by = {"manual", "retry"};
  EXPECT_NE(plan(f).find("USING INDEX runs_by_trigger"), std::string::npos) << plan(f);
  f = {};
  f.created_until = dagctl::common::now();
  const auto until = plan(f);
  EXPECT_NE(until.find("USING INTEGER PRIMARY KEY (rowid<?)"), std::string::npos) << until;
  EXPECT_NE(until.find("USING COVERING INDEX runs_by_created"), std::string::npos) << until;
  f.job_id = "job-default";
  EXPECT_NE(plan(f).find("USING INDEX runs_by_job (job_id=? AND seq<?)"), std::string::npos) << plan(f);
  // since= keeps reading newest first along seq (no sort of every run since).
  f = {};
  f.created_since = dagctl::common::now();
  EXPECT_EQ(plan(f).find("runs_by_created"), std::string::npos) << plan(f);
  EXPECT_EQ(plan(f).find("TEMP B-TREE"), std::string::npos) << plan(f);
}

// A job's last_run (docs/api.md, Jobs): the newest run of each job, from one statement.
TEST_F(RunStore, LastRunsAreEachJobsNewestRun) {
  add_shop();
  EXPECT_TRUE(store().runs().last_runs("prj-shop", std::nullopt).empty());
  store().runs().insert(make_run("d1", job("job-default")), 10);
  store().runs().insert(make_run("d2", job("job-default")), 10);
  store().runs().insert(make_run("n1", job("job-nightly")), 10);
  ASSERT_TRUE(store().runs().mark_running("d2", dagctl::common::now()));
  ASSERT_TRUE(store().runs().finish("d2", RunStatus::failed, at(1'775'131'300'000), 1, "x", json::object()));
  const auto last = store().runs().last_runs("prj-shop", std::nullopt);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last.at("job-default").id, "d2");
  EXPECT_EQ(last.at("job-default").status, RunStatus::failed);
  EXPECT_EQ(last.at("job-default").end_time, at(1'775'131'300'000));
  EXPECT_EQ(last.at("job-nightly").id, "n1");
  EXPECT_EQ(last.at("job-nightly").status, RunStatus::queued);
  EXPECT_FALSE(last.at("job-nightly").end_time.has_value());
  const auto one = store().runs().last_runs("prj-shop", std::string("job-nightly"));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.at("job-nightly").id, "n1");
  EXPECT_TRUE(store().runs().last_runs("prj-other", std::nullopt).empty());
}

}  // namespace
