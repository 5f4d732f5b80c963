// Tests for daemon/store: the SQLite store (CONTRACT §10) and the run rules it enforces
// (§6.1 never leaving a terminal status, §6.6 the per-job queue bound).
#include "daemon/store/store.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/database.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dagctl::common::RunStatus;
using dagctl::common::to_string;
using dagctl::daemon::store::current_schema_version;
using dagctl::daemon::store::Job;
using dagctl::daemon::store::Project;
using dagctl::daemon::store::Run;
using dagctl::daemon::store::RunFilter;
using dagctl::daemon::store::StoreError;
using nlohmann::json;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;  // test_util.hpp

dagctl::common::TimePoint at(std::int64_t ms) { return dagctl::common::from_millis(ms); }

Project make_project(const std::string& id, const std::string& name, const std::string& org_id) {
  Project p;
  p.id = id;
  p.org_id = org_id;
  p.name = name;
  p.path = "/home/ana/projects/" + name;
  p.created_at = at(1'775'131'200'000);
  return p;
}

Job make_job(const std::string& id, const std::string& project_id, const std::string& name = "default") {
  Job j;
  j.id = id;
  j.project_id = project_id;
  j.name = name;
  j.created_at = at(1'775'131'200'000);
  j.updated_at = j.created_at;
  return j;
}

Run make_run(const std::string& id, const Job& job) {
  Run r;
  r.id = id;
  r.job_id = job.id;
  r.project_id = job.project_id;
  r.job_name = job.name;
  r.status = RunStatus::queued;
  r.command = job.command;
  r.created_at = dagctl::common::now();
  return r;
}

std::vector<std::string> ids(const std::vector<Run>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.id);
  return out;
}

// Fixture named after the area so tests read Store.<What>.
class Store : public ::testing::Test {
protected:
  void SetUp() override { open(); }
  void open() {
    store_.reset();
    store_.emplace(db_path());
  }
  void close() { store_.reset(); }
  std::string db_path() const { return (dir_.path() / "dagctl.db").string(); }
  store::Store& store() { return *store_; }

  // Project "shop" with jobs "default" and "nightly".
  void add_shop() {
    org_ = store().default_organization().id;
    store().create_project(make_project("prj-shop", "shop", org_),
                           {make_job("job-default", "prj-shop"), make_job("job-nightly", "prj-shop", "nightly")});
  }
  Job job(const std::string& id) { return *store().find_job(id); }

  TempDir dir_;
  std::optional<store::Store> store_;
  std::string org_;
};

TEST_F(Store, FreshDatabaseIsAtTheCurrentSchemaVersion) {
  close();
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
  EXPECT_GE(current_schema_version(), 1);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(Store, ReopeningKeepsDataAndDoesNotMigrateTwice) {
  add_shop();
  store().insert_run(make_run("run-1", job("job-default")), 10);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_THROW(open());
    ASSERT_TRUE(store().find_project("shop").has_value());
    ASSERT_TRUE(store().find_run("run-1").has_value());
    EXPECT_EQ(store().list_jobs(std::nullopt).size(), 2u);
  }
  close();
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
}

// Schema 1 exactly as the first dagctld shipped it (a shipped migration is never edited),
// with the rows a user of that version had.
constexpr const char* kSchemaV1WithData = R"sql(
CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE projects (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL, path TEXT NOT NULL, profiles_dir TEXT NOT NULL DEFAULT '',
  target TEXT NOT NULL DEFAULT '', dbt TEXT NOT NULL DEFAULT '', env_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL, command TEXT NOT NULL, schedule TEXT, timezone TEXT, timeout_seconds INTEGER,
  enabled INTEGER NOT NULL DEFAULT 1, catchup INTEGER NOT NULL DEFAULT 1,
  webhook_enabled INTEGER NOT NULL DEFAULT 0, webhook_url TEXT,
  webhook_headers_json TEXT NOT NULL DEFAULT '{}', webhook_events_json TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (project_id, name));
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  job_name TEXT NOT NULL, status TEXT NOT NULL, triggered_by TEXT NOT NULL, command TEXT NOT NULL,
  command_override TEXT, retry_of TEXT, created_at INTEGER NOT NULL, start_time INTEGER,
  end_time INTEGER, exit_code INTEGER, error_message TEXT, results_json TEXT NOT NULL DEFAULT '{}',
  pid INTEGER NOT NULL DEFAULT 0, pid_start_ticks INTEGER NOT NULL DEFAULT 0);
CREATE INDEX runs_by_status ON runs(status, seq);
CREATE INDEX runs_by_job ON runs(job_id, seq);
CREATE INDEX runs_by_project ON runs(project_id, seq);
INSERT INTO organizations VALUES ('org-Ab12Cd34Ef56', 'default', 1775131200000);
INSERT INTO projects VALUES ('prj-old', 'org-Ab12Cd34Ef56', 'shop', 'dbt', '/home/ana/shop', '', 'dev', '',
                             '{"REGION":"eu"}', 1775131200000);
INSERT INTO jobs (id, project_id, name, command, schedule, webhook_enabled, webhook_url, created_at, updated_at)
  VALUES ('job-old', 'prj-old', 'default', 'dbt build', '0 6 * * *', 1, 'http://airflow:8080/hook',
          1775131200000, 1775131200000);
INSERT INTO runs (id, job_id, project_id, job_name, status, triggered_by, command, created_at, start_time,
                  end_time, exit_code, error_message, results_json)
  VALUES ('run-done', 'job-old', 'prj-old', 'default', 'partial', 'api', 'dbt build', 1775131200000,
          1775131201000, 1775131260000, 1, '1 node failed: model.shop.orders', '{"success":4,"error":1}');
INSERT INTO runs (id, job_id, project_id, job_name, status, triggered_by, command, created_at)
  VALUES ('run-queued', 'job-old', 'prj-old', 'default', 'queued', 'schedule', 'dbt build', 1775131300000);
PRAGMA user_version=1;
)sql";

TEST_F(Store, DatabaseOfTheFirstSchemaIsMigratedForwardKeepingItsData) {
  close();
  fs::remove(db_path());
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(kSchemaV1WithData);
  }
  ASSERT_NO_THROW(open());
  EXPECT_EQ(store().default_organization().id, "org-Ab12Cd34Ef56");
  const auto project = store().find_project("shop");
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(project->id, "prj-old");
  EXPECT_EQ(project->target, "dev");
  EXPECT_EQ(project->env, (std::map<std::string, std::string>{{"REGION", "eu"}}));
  const auto old_job = store().find_job("job-old");
  ASSERT_TRUE(old_job.has_value());
  EXPECT_EQ(old_job->schedule, "0 6 * * *");
  EXPECT_TRUE(old_job->webhook_enabled);
  EXPECT_EQ(old_job->webhook_url, "http://airflow:8080/hook");
  const auto done = store().find_run("run-done");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(to_string(done->status), "partial");
  EXPECT_EQ(done->results, (json{{"success", 4}, {"error", 1}}));
  EXPECT_EQ(ids(store().runs_with_status(RunStatus::queued)), (std::vector<std::string>{"run-queued"}));
  // And the upgraded database works as a new one.
  EXPECT_TRUE(store().mark_running("run-queued", dagctl::common::now()));
  store().insert_run(make_run("run-new", *old_job), 10);
  EXPECT_EQ(ids(store().list_runs(RunFilter{})), (std::vector<std::string>{"run-new", "run-queued", "run-done"}));
  close();
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
}

TEST_F(Store, DatabaseFromANewerDagctldIsRefused) {
  close();
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version=" + std::to_string(current_schema_version() + 1));
  }
  try {
    store::Store newer(db_path());
    FAIL() << "opened a database with a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST_F(Store, DefaultOrganizationIsCreatedOnceAndStableAcrossReopen) {
  const auto org = store().default_organization();
  ASSERT_EQ(org.id.size(), 4u + 12u) << org.id;
  EXPECT_EQ(org.id.rfind("org-", 0), 0u) << org.id;
  EXPECT_TRUE(std::all_of(org.id.begin() + 4, org.id.end(),
                          [](unsigned char c) { return std::isalnum(c) != 0; }))
      << org.id;
  EXPECT_FALSE(org.name.empty());
  EXPECT_EQ(store().default_organization().id, org.id);
  open();
  const auto again = store().default_organization();
  EXPECT_EQ(again.id, org.id);
  EXPECT_EQ(again.name, org.name);
}

TEST_F(Store, DefaultOrganizationDiffersBetweenDataDirs) {
  TempDir other;
  store::Store second((other.path() / "dagctl.db").string());
  EXPECT_NE(second.default_organization().id, store().default_organization().id);
}

TEST_F(Store, CreatedProjectIsFoundByIdAndByName) {
  org_ = store().default_organization().id;
  Project p = make_project("prj-1", "shop", org_);
  p.profiles_dir = "/home/ana/.dbt";
  p.target = "prod";
  p.dbt = "/opt/dbt/bin/dbt";
  p.env = {{"DBT_ENV_SECRET_PW", "s3cret"}, {"REGION", "eu-west-1"}};
  store().create_project(p, {make_job("job-1", "prj-1")});

  for (const auto* key : {"prj-1", "shop"}) {
    const auto found = store().find_project(key);
    ASSERT_TRUE(found.has_value()) << key;
    EXPECT_EQ(found->id, "prj-1");
    EXPECT_EQ(found->org_id, org_);
    EXPECT_EQ(found->name, "shop");
    EXPECT_EQ(found->type, "dbt");
    EXPECT_EQ(found->path, "/home/ana/projects/shop");
    EXPECT_EQ(found->profiles_dir, "/home/ana/.dbt");
    EXPECT_EQ(found->target, "prod");
    EXPECT_EQ(found->dbt, "/opt/dbt/bin/dbt");
    EXPECT_EQ(found->env, p.env);
    EXPECT_EQ(found->created_at, p.created_at);
  }
  EXPECT_FALSE(store().find_project("nope").has_value());

  const auto jobs = store().list_jobs(std::string("prj-1"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "default");
  EXPECT_EQ(jobs[0].command, "dbt build");
  ASSERT_EQ(store().list_projects().size(), 1u);
}

TEST_F(Store, FindProjectPrefersAnIdOverAnotherProjectsName) {
  org_ = store().default_organization().id;
  store().create_project(make_project("prj-a", "x", org_), {make_job("job-a", "prj-a")});
  store().create_project(make_project("x-id", "prj-a", org_), {make_job("job-b", "x-id")});
  // "prj-a" is the id of the first project and the name of the second.
  EXPECT_EQ(store().find_project("prj-a")->id, "prj-a");
  EXPECT_EQ(store().find_project("x")->id, "prj-a");
}

TEST_F(Store, DuplicateProjectNameIsAConflictAndAddsNothing) {
  add_shop();
  try {
    store().create_project(make_project("prj-other", "shop", org_), {make_job("job-other", "prj-other")});
    FAIL() << "a second project named shop was accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
    EXPECT_NE(std::string(e.what()).find("shop"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store().find_project("prj-other").has_value());
  EXPECT_FALSE(store().find_job("job-other").has_value());
  EXPECT_EQ(store().list_projects().size(), 1u);
  EXPECT_EQ(store().find_project("shop")->id, "prj-shop");
}

TEST_F(Store, InsertRunRespectsMaxQueuedPerJob) {
  add_shop();
  const Job dflt = job("job-default");
  store().insert_run(make_run("r1", dflt), 2);
  store().insert_run(make_run("r2", dflt), 2);
  try {
    store().insert_run(make_run("r3", dflt), 2);
    FAIL() << "a third queued run was accepted with a bound of 2";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
    EXPECT_NE(std::string(e.what()).find('2'), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store().find_run("r3").has_value());
  // The bound is per job.
  EXPECT_NO_THROW(store().insert_run(make_run("n1", job("job-nightly")), 2));
  // Only queued runs count: once one runs, there is room again.
  ASSERT_TRUE(store().mark_running("r1", dagctl::common::now()));
  EXPECT_NO_THROW(store().insert_run(make_run("r3", dflt), 2));
  EXPECT_EQ(store().count_active_runs().queued, 3);
}

TEST_F(Store, InsertedRunRoundTrips) {
  add_shop();
  store().insert_run(make_run("run-0", job("job-default")), 10);
  auto r = make_run("run-1", job("job-default"));
  r.triggered_by = "api";
  r.command_override = "dbt run --select orders";
  r.retry_of = "run-0";
  r.created_at = at(1'775'131'200'123);
  store().insert_run(r, 10);
  const auto found = store().find_run("run-1");
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
  EXPECT_FALSE(store().find_run("run-2").has_value());
}

TEST_F(Store, ListRunsIsNewestFirstWithFiltersAndACursor) {
  add_shop();
  const Job dflt = job("job-default");
  const Job nightly = job("job-nightly");
  for (int i = 1; i <= 5; ++i) store().insert_run(make_run("d" + std::to_string(i), dflt), 100);
  for (int i = 1; i <= 3; ++i) store().insert_run(make_run("n" + std::to_string(i), nightly), 100);
  ASSERT_TRUE(store().mark_running("d1", dagctl::common::now()));
  ASSERT_TRUE(store().finish_run("d1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  ASSERT_TRUE(store().finish_run("n2", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                 "cancelled by request before it started", json::object()));

  RunFilter all;
  EXPECT_EQ(ids(store().list_runs(all)),
            (std::vector<std::string>{"n3", "n2", "n1", "d5", "d4", "d3", "d2", "d1"}));

  RunFilter by_job;
  by_job.job_id = "job-nightly";
  EXPECT_EQ(ids(store().list_runs(by_job)), (std::vector<std::string>{"n3", "n2", "n1"}));

  RunFilter by_project;
  by_project.project_id = "prj-shop";
  EXPECT_EQ(store().list_runs(by_project).size(), 8u);
  by_project.project_id = "prj-nope";
  EXPECT_TRUE(store().list_runs(by_project).empty());

  RunFilter by_status;
  by_status.status = RunStatus::queued;
  EXPECT_EQ(ids(store().list_runs(by_status)), (std::vector<std::string>{"n3", "n1", "d5", "d4", "d3", "d2"}));
  by_status.job_id = "job-default";
  by_status.limit = 2;
  EXPECT_EQ(ids(store().list_runs(by_status)), (std::vector<std::string>{"d5", "d4"}));

  // Paging with before_seq: each page starts below the last seq of the previous one.
  RunFilter page;
  page.limit = 3;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    const auto runs = store().list_runs(page);
    if (runs.empty()) break;
    EXPECT_LE(runs.size(), 3u);
    for (const auto& r : runs) seen.push_back(r.id);
    page.before_seq = runs.back().seq;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"n3", "n2", "n1", "d5", "d4", "d3", "d2", "d1"}));

  RunFilter job_page;
  job_page.job_id = "job-default";
  job_page.before_seq = store().find_run("d4")->seq;
  EXPECT_EQ(ids(store().list_runs(job_page)), (std::vector<std::string>{"d3", "d2", "d1"}));
}

TEST_F(Store, RunsWithStatusAreInQueueOrder) {
  add_shop();
  store().insert_run(make_run("a", job("job-default")), 100);
  store().insert_run(make_run("b", job("job-nightly")), 100);
  store().insert_run(make_run("c", job("job-default")), 100);
  EXPECT_EQ(ids(store().runs_with_status(RunStatus::queued)), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(store().mark_running("b", dagctl::common::now()));
  EXPECT_EQ(ids(store().runs_with_status(RunStatus::queued)), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ids(store().runs_with_status(RunStatus::running)), (std::vector<std::string>{"b"}));
}

// Retention may delete a run between `dagctl retry`'s look at it and the insert: the
// insert itself refuses then, so no retry is queued without its source.
TEST_F(Store, ARetryOfARunThatIsGoneIsRefused) {
  add_shop();
  auto r = make_run("retry-1", job("job-default"));
  r.retry_of = "pruned-run";
  try {
    store().insert_run(r, 10);
    FAIL() << "the insert should have been refused";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::not_found);
    EXPECT_NE(std::string(e.what()).find("pruned-run"), std::string::npos);
  }
  EXPECT_FALSE(store().find_run("retry-1").has_value());
}

TEST_F(Store, NextQueuedRunsAreEachFreeProjectsOldestInQueueOrder) {
  add_shop();
  store().create_project(make_project("prj-blog", "blog", org_), {make_job("job-blog", "prj-blog")});
  store().create_project(make_project("prj-wiki", "wiki", org_), {make_job("job-wiki", "prj-wiki")});
  for (const auto& [id, job_id] : std::vector<std::pair<std::string, std::string>>{
           {"s1", "job-default"}, {"b1", "job-blog"}, {"s2", "job-nightly"}, {"w1", "job-wiki"}, {"b2", "job-blog"}}) {
    store().insert_run(make_run(id, job(job_id)), 100);
  }
  EXPECT_EQ(ids(store().next_queued_runs({}, 10)), (std::vector<std::string>{"s1", "b1", "w1"}))
      << "one per project, the oldest, in trigger order";
  EXPECT_EQ(ids(store().next_queued_runs({}, 2)), (std::vector<std::string>{"s1", "b1"}));
  EXPECT_EQ(ids(store().next_queued_runs({"prj-shop"}, 10)), (std::vector<std::string>{"b1", "w1"}))
      << "a busy project's runs wait";
  ASSERT_TRUE(store().mark_running("s1", dagctl::common::now()));
  ASSERT_TRUE(store().finish_run("b1", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "cancelled",
                                 json::object()));
  EXPECT_EQ(ids(store().next_queued_runs({}, 10)), (std::vector<std::string>{"s2", "w1", "b2"}));
  EXPECT_TRUE(store().next_queued_runs({"prj-shop", "prj-blog", "prj-wiki"}, 10).empty());
}

TEST_F(Store, FinishRunNeverLeavesATerminalStatus) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().mark_running("r1", at(1'775'131'201'000)));
  ASSERT_TRUE(store().finish_run("r1", RunStatus::partial, at(1'775'131'260'000), 1,
                                 "1 node failed: model.shop.orders (Division by zero)",
                                 json{{"success", 4}, {"error", 1}}));
  EXPECT_FALSE(store().finish_run("r1", RunStatus::error, at(1'775'131'300'000), 2, "daemon stopped",
                                  json::object()));
  EXPECT_FALSE(store().finish_run("r1", RunStatus::success, at(1'775'131'300'000), 0, std::nullopt,
                                  json::object()));
  EXPECT_FALSE(store().mark_running("r1", at(1'775'131'300'000)));

  const auto run = store().find_run("r1");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(to_string(run->status), "partial");
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_EQ(run->error_message, "1 node failed: model.shop.orders (Division by zero)");
  EXPECT_EQ(run->results, (json{{"success", 4}, {"error", 1}}));
  EXPECT_EQ(run->start_time, at(1'775'131'201'000));
  EXPECT_EQ(run->end_time, at(1'775'131'260'000));

  // Also across a restart.
  open();
  EXPECT_FALSE(store().finish_run("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                  "cancelled", json::object()));
  EXPECT_EQ(to_string(store().find_run("r1")->status), "partial");
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

TEST_F(Store, FinishRunStoresTheWebhookItOwesOnlyOnce) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().mark_running("r1", dagctl::common::now()));
  int asked = 0;
  const auto owed = [&](const store::Run& finished) -> std::optional<dagctl::daemon::store::Delivery> {
    ++asked;
    EXPECT_EQ(to_string(finished.status), "error") << "it sees the run as finished";
    EXPECT_TRUE(finished.end_time.has_value());
    return delivery_for(finished, "dlv-" + std::to_string(asked));
  };
  ASSERT_TRUE(store().finish_run("r1", RunStatus::error, dagctl::common::now(), 2, "dbt exited with code 2",
                                 json::object(), owed));
  EXPECT_FALSE(store().finish_run("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                  json::object(), owed));
  EXPECT_EQ(asked, 1) << "a run that was terminal already owes nothing again";
  const auto delivery = store().find_delivery("dlv-1");
  ASSERT_TRUE(delivery.has_value());
  EXPECT_EQ(delivery->run_id, "r1");
  EXPECT_EQ(delivery->status, "pending");
  EXPECT_EQ(store().list_deliveries("job-default", 10).size(), 1u);
}

TEST_F(Store, RunEndAndItsWebhookAreOneTransaction) {
  // If the delivery cannot be stored, the run keeps its status: never an end without its webhook.
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().mark_running("r1", dagctl::common::now()));
  store::Run stored = *store().find_run("r1");
  store().insert_delivery(delivery_for(stored, "dlv-taken"));
  const auto owed = [&](const store::Run& finished) -> std::optional<dagctl::daemon::store::Delivery> {
    return delivery_for(finished, "dlv-taken");  // the id exists: the insert fails
  };
  EXPECT_ANY_THROW(store().finish_run("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                      json::object(), owed));
  EXPECT_EQ(to_string(store().find_run("r1")->status), "running");
  EXPECT_FALSE(store().find_run("r1")->end_time.has_value());

  const auto throws = [](const store::Run&) -> std::optional<dagctl::daemon::store::Delivery> {
    throw std::runtime_error("could not build the body");
  };
  EXPECT_ANY_THROW(store().finish_run("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                      json::object(), throws));
  EXPECT_EQ(to_string(store().find_run("r1")->status), "running");

  // Nothing owed: the run ends and no delivery appears.
  const auto none = [](const store::Run&) -> std::optional<dagctl::daemon::store::Delivery> { return std::nullopt; };
  EXPECT_TRUE(store().finish_run("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt,
                                 json::object(), none));
  EXPECT_EQ(to_string(store().find_run("r1")->status), "success");
  EXPECT_EQ(store().list_deliveries("job-default", 10).size(), 1u);  // only dlv-taken
}

TEST_F(Store, FinishRunEndsAQueuedRun) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  EXPECT_TRUE(store().finish_run("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                 "cancelled by request before it started", json::object()));
  const auto run = store().find_run("r1");
  EXPECT_EQ(to_string(run->status), "cancelled");
  EXPECT_FALSE(run->start_time.has_value());
  EXPECT_FALSE(run->exit_code.has_value());
  EXPECT_FALSE(store().finish_run("no-such-run", RunStatus::error, dagctl::common::now(), std::nullopt,
                                  "x", json::object()));
}

TEST_F(Store, MarkRunningRefusesRunsThatAreNotQueued) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  store().insert_run(make_run("r2", job("job-default")), 10);
  EXPECT_TRUE(store().mark_running("r1", at(1'775'131'201'000)));
  EXPECT_FALSE(store().mark_running("r1", at(1'775'131'202'000))) << "already running";
  EXPECT_EQ(store().find_run("r1")->start_time, at(1'775'131'201'000)) << "start time kept";
  EXPECT_EQ(to_string(store().find_run("r1")->status), "running");

  ASSERT_TRUE(store().finish_run("r2", RunStatus::cancelled, dagctl::common::now(), std::nullopt,
                                 "cancelled", json::object()));
  EXPECT_FALSE(store().mark_running("r2", dagctl::common::now())) << "cancelled before it started";
  EXPECT_EQ(to_string(store().find_run("r2")->status), "cancelled");
  EXPECT_FALSE(store().mark_running("no-such-run", dagctl::common::now()));
}

TEST_F(Store, RecordedProcessIsClearedWhenTheRunEnds) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  ASSERT_TRUE(store().mark_running("r1", dagctl::common::now()));
  store().record_process("r1", 4242, 987654);
  EXPECT_EQ(store().find_run("r1")->pid, 4242);
  EXPECT_EQ(store().find_run("r1")->pid_start_ticks, 987654);
  ASSERT_TRUE(store().finish_run("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_EQ(store().find_run("r1")->pid, 0);
  EXPECT_EQ(store().find_run("r1")->pid_start_ticks, 0);
}

TEST_F(Store, CountActiveRunsCountsQueuedAndRunningOnly) {
  add_shop();
  EXPECT_EQ(store().count_active_runs().queued, 0);
  EXPECT_EQ(store().count_active_runs().running, 0);
  for (const auto* id : {"r1", "r2", "r3", "r4", "r5"}) store().insert_run(make_run(id, job("job-default")), 10);
  ASSERT_TRUE(store().mark_running("r1", dagctl::common::now()));
  ASSERT_TRUE(store().mark_running("r2", dagctl::common::now()));
  ASSERT_TRUE(store().finish_run("r2", RunStatus::failed, dagctl::common::now(), 1, "x", json::object()));
  ASSERT_TRUE(store().finish_run("r3", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "x",
                                 json::object()));
  const auto counts = store().count_active_runs();
  EXPECT_EQ(counts.running, 1);
  EXPECT_EQ(counts.queued, 2);
}

TEST_F(Store, ProjectWithActiveRunsCannotBeDeleted) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  try {
    store().delete_project("prj-shop");
    FAIL() << "deleted a project with a queued run";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
  }
  ASSERT_TRUE(store().finish_run("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "x",
                                 json::object()));
  store().delete_project("prj-shop");
  EXPECT_FALSE(store().find_project("shop").has_value());
  EXPECT_FALSE(store().find_run("r1").has_value()) << "its runs go with it";
  try {
    store().delete_project("prj-shop");
    FAIL() << "deleted a missing project";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::not_found);
  }
}


TEST_F(Store, AWriteWaitsOutAShortOutsideLock) {
  add_shop();
  OutsideLock lock(db_path());
  // The stimulus: a lock held for 200 ms, well within the store's 5 s.
  std::thread releaser([&] {
    std::this_thread::sleep_for(200ms);
    lock.release();
  });
  EXPECT_NO_THROW(store().insert_run(make_run("r1", job("job-default")), 10));
  releaser.join();
  EXPECT_TRUE(store().find_run("r1").has_value());
}

// A write kept out for the whole busy wait throws StoreBusy (the API answers 503); reads go
// on meanwhile, even while a write waits (the wait does not hold the connection); and the
// store works again once the lock is gone.
TEST_F(Store, AWriteKeptOutByAnOutsideLockThrowsStoreBusyWhileReadsGoOn) {
  add_shop();
  store().insert_run(make_run("r1", job("job-default")), 10);
  store_.reset();
  store_.emplace(db_path(), 1500ms);
  OutsideLock lock(db_path());

  const auto started = std::chrono::steady_clock::now();
  std::thread writer([&] {
    EXPECT_THROW(store().mark_running("r1", dagctl::common::now()), store::StoreBusy);
  });
  auto slowest_read = std::chrono::steady_clock::duration::zero();
  while (std::chrono::steady_clock::now() - started < 600ms) {
    const auto before = std::chrono::steady_clock::now();
    ASSERT_TRUE(store().find_run("r1").has_value());
    slowest_read = std::max(slowest_read, std::chrono::steady_clock::now() - before);
  }
  writer.join();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1500ms) << "the write waited for the lock first";
  EXPECT_LT(slowest_read, 750ms) << "a read waited for the write's wait";
  EXPECT_EQ(to_string(store().find_run("r1")->status), "queued");

  try {
    store().insert_run(make_run("r2", job("job-default")), 10);
    FAIL() << "a write got through another process's lock";
  } catch (const store::StoreBusy& e) {
    EXPECT_NE(std::string(e.what()).find("locked by another process"), std::string::npos) << e.what();
  }
  lock.release();
  EXPECT_TRUE(store().mark_running("r1", dagctl::common::now()));
  store().insert_run(make_run("r2", job("job-default")), 10);
  EXPECT_EQ(ids(store().list_runs(RunFilter{})), (std::vector<std::string>{"r2", "r1"}));
}

// docs/api.md: deleting a job keeps its runs in the history, under the deleted job's id,
// until retention prunes them; the job's delivery log goes with it.
TEST_F(Store, DeletingAJobKeepsItsRunsInTheHistory) {
  add_shop();
  const Job nightly = job("job-nightly");
  store().insert_run(make_run("n1", nightly), 10);
  try {
    store().delete_job("job-nightly");
    FAIL() << "deleted a job with a queued run";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
  }
  ASSERT_TRUE(store().finish_run("n1", RunStatus::success, at(1'775'131'260'000), 0, std::nullopt, json::object()));
  store::Delivery delivery;
  delivery.id = "dlv-1";
  delivery.job_id = "job-nightly";
  delivery.run_id = "n1";
  delivery.event = "job.completed";
  delivery.url = "http://127.0.0.1:9/hook";
  delivery.body = "{}";
  delivery.status = "delivered";
  delivery.next_attempt_at = delivery.created_at = at(1'775'131'260'000);
  store().insert_delivery(delivery);

  store().delete_job("job-nightly");
  EXPECT_FALSE(store().find_job("job-nightly").has_value());
  const auto run = store().find_run("n1");
  ASSERT_TRUE(run.has_value()) << "the run stays in the history";
  EXPECT_EQ(run->job_id, "job-nightly");
  EXPECT_EQ(run->job_name, "nightly");
  EXPECT_EQ(to_string(run->status), "success");
  RunFilter by_job;
  by_job.job_id = "job-nightly";
  EXPECT_EQ(ids(store().list_runs(by_job)), (std::vector<std::string>{"n1"}));
  EXPECT_EQ(ids(store().list_runs(RunFilter{})), (std::vector<std::string>{"n1"}));
  EXPECT_TRUE(store().unknown_run_ids({"n1"}).empty()) << "so retention keeps its folder";
  EXPECT_FALSE(store().find_delivery("dlv-1").has_value()) << "the job's delivery log goes with it";

  // Retention prunes it like any other run.
  EXPECT_EQ(store().prune_runs(at(1'775'131'300'000), 0, 10), (std::vector<std::string>{"n1"}));
  EXPECT_FALSE(store().find_run("n1").has_value());
}

// The upgrade that made runs outlive their job rebuilds the runs table: rows, order and the
// AUTOINCREMENT counter survive (the seq of a run pruned already is never handed out again).
TEST_F(Store, AnUpgradedDatabaseKeepsRunsOfADeletedJobAndNeverReusesASeq) {
  close();
  fs::remove(db_path());
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(kSchemaV1WithData);
    db.exec("DELETE FROM runs WHERE id = 'run-queued'");  // the newest run (seq 2), pruned
  }
  ASSERT_NO_THROW(open());
  store().delete_job("job-old");
  const auto done = store().find_run("run-done");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->seq, 1);
  EXPECT_EQ(done->job_id, "job-old");
  store().create_job(make_job("job-new", "prj-old", "nightly"));
  store().insert_run(make_run("run-new", job("job-new")), 10);
  EXPECT_EQ(store().find_run("run-new")->seq, 3);
  EXPECT_EQ(ids(store().list_runs(RunFilter{})), (std::vector<std::string>{"run-new", "run-done"}));
  ASSERT_TRUE(store().finish_run("run-new", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "x", json::object()));
  store().delete_project("prj-old");
  EXPECT_FALSE(store().find_run("run-done").has_value()) << "deleting the project still deletes its runs";
}

}  // namespace
