// Tests for daemon/store as a whole: opening and migrating the database (database.cpp),
// the shared connection (connection.cpp: busy waits, cached statements).
#include "daemon/store/store.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/database.hpp"
#include "test_store_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dagctl::common::to_string;
using nlohmann::json;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;               // test_util.hpp
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp
using dagctl::daemon::store::current_schema_version;

class Store : public StoreFixture {};

TEST_F(Store, FreshDatabaseIsAtTheCurrentSchemaVersion) {
  close();
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
  EXPECT_GE(current_schema_version(), 1);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(Store, ReopeningKeepsDataAndDoesNotMigrateTwice) {
  add_shop();
  store().runs().insert(make_run("run-1", job("job-default")), 10);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_THROW(open());
    ASSERT_TRUE(store().projects().find("shop").has_value());
    ASSERT_TRUE(store().runs().find("run-1").has_value());
    EXPECT_EQ(store().jobs().list(std::nullopt).size(), 2u);
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
  EXPECT_EQ(store().projects().default_organization().id, "org-Ab12Cd34Ef56");
  const auto project = store().projects().find("shop");
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(project->id, "prj-old");
  EXPECT_EQ(project->target, "dev");
  EXPECT_EQ(project->env, (std::map<std::string, std::string>{{"REGION", "eu"}}));
  EXPECT_TRUE(project->warm);  // projects from before warm workers may use them
  const auto old_job = store().jobs().find("job-old");
  ASSERT_TRUE(old_job.has_value());
  EXPECT_EQ(old_job->schedule, "0 6 * * *");
  EXPECT_TRUE(old_job->webhook_enabled);
  EXPECT_EQ(old_job->webhook_url, "http://airflow:8080/hook");
  const auto done = store().runs().find("run-done");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(to_string(done->status), "partial");
  EXPECT_EQ(done->results, (json{{"success", 4}, {"error", 1}}));
  EXPECT_EQ(ids(store().runs().with_status(RunStatus::queued)), (std::vector<std::string>{"run-queued"}));
  // And the upgraded database works as a new one.
  EXPECT_TRUE(store().runs().mark_running("run-queued", dagctl::common::now()));
  store().runs().insert(make_run("run-new", *old_job), 10);
  EXPECT_EQ(ids(store().runs().list(RunFilter{})), (std::vector<std::string>{"run-new", "run-queued", "run-done"}));
  close();
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
}

// Migration 12 (a SQLMesh plan's summary with its run, docs/sqlmesh.md): runs from before
// have none, and the upgraded database keeps new ones.
TEST_F(Store, AnUpgradedDatabaseHasNoPlanForOldRunsAndKeepsNewOnes) {
  close();
  fs::remove(db_path());
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(kSchemaV1WithData);
  }
  ASSERT_NO_THROW(open());
  const auto project = store().projects().find("shop");
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(project->type, "dbt");
  EXPECT_EQ(project->executable, "");
  const auto done = store().runs().find("run-done");
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->plan.is_null());
  ASSERT_TRUE(store().runs().mark_running("run-queued", dagctl::common::now()));
  const json plan = {{"environment", "prod"}, {"applied", false}, {"added", json::array()}};
  ASSERT_TRUE(store().runs().finish("run-queued", RunStatus::error, dagctl::common::now(), 1, "boom", json::object(),
                                    {}, false, plan));
  EXPECT_EQ(store().runs().find("run-queued")->plan, plan);
  close();
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
  EXPECT_GE(current_schema_version(), 12);
  EXPECT_EQ(db.execAndGet("SELECT plan_json IS NULL FROM runs WHERE id = 'run-done'").getInt(), 1);
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

// Daemons started together on one new sqlite:/// store (docs/scale-out.md#the-store):
// each opens it, one migrates it, none fails with "table ... already exists".
TEST_F(Store, DaemonsOpeningOneNewFileTogetherMigrateItOnce) {
  const std::string path = (dir_.path() / "shared.db").string();
  constexpr int kDaemons = 4;
  std::vector<std::string> errors(kDaemons);
  std::vector<std::thread> daemons;
  std::atomic<int> ready{0};
  for (int i = 0; i < kDaemons; ++i) {
    daemons.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kDaemons) std::this_thread::yield();
      try {
        store::open_database(path);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : daemons) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), current_schema_version());
}

TEST_F(Store, AWriteWaitsOutAShortOutsideLock) {
  add_shop();
  OutsideLock lock(db_path());
  // The stimulus: a lock held for 200 ms, well within the store's 5 s.
  std::thread releaser([&] {
    std::this_thread::sleep_for(200ms);
    lock.release();
  });
  EXPECT_NO_THROW(store().runs().insert(make_run("r1", job("job-default")), 10));
  releaser.join();
  EXPECT_TRUE(store().runs().find("r1").has_value());
}

// A write kept out for the whole busy wait throws StoreBusy (the API answers 503); reads go
// on meanwhile, even while a write waits (the wait does not hold the connection); and the
// store works again once the lock is gone.
TEST_F(Store, AWriteKeptOutByAnOutsideLockThrowsStoreBusyWhileReadsGoOn) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  store_.reset();
  store_.emplace(db_path(), 1500ms);
  OutsideLock lock(db_path());

  const auto started = std::chrono::steady_clock::now();
  std::thread writer([&] {
    EXPECT_THROW(store().runs().mark_running("r1", dagctl::common::now()), store::StoreBusy);
  });
  auto slowest_read = std::chrono::steady_clock::duration::zero();
  while (std::chrono::steady_clock::now() - started < 600ms) {
    const auto before = std::chrono::steady_clock::now();
    ASSERT_TRUE(store().runs().find("r1").has_value());
    slowest_read = std::max(slowest_read, std::chrono::steady_clock::now() - before);
  }
  writer.join();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1500ms) << "the write waited for the lock first";
  EXPECT_LT(slowest_read, 750ms) << "a read waited for the write's wait";
  EXPECT_EQ(to_string(store().runs().find("r1")->status), "queued");

  try {
    store().runs().insert(make_run("r2", job("job-default")), 10);
    FAIL() << "a write got through another process's lock";
  } catch (const store::StoreBusy& e) {
    EXPECT_NE(std::string(e.what()).find("locked by another process"), std::string::npos) << e.what();
  }
  lock.release();
  EXPECT_TRUE(store().runs().mark_running("r1", dagctl::common::now()));
  store().runs().insert(make_run("r2", job("job-default")), 10);
  EXPECT_EQ(ids(store().runs().list(RunFilter{})), (std::vector<std::string>{"r2", "r1"}));
}

// Statements are prepared once and kept (connection.hpp). One that stepped a row is reset
// when its call returns: otherwise it would keep its read snapshot open and later reads,
// through any statement, would not see what another process wrote meanwhile.
TEST_F(Store, CachedStatementsKeepNoSnapshotBetweenCalls) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  ASSERT_EQ(store().runs().find("r1")->status, RunStatus::queued);
  {
    SQLite::Database other(db_path(), SQLite::OPEN_READWRITE);
    other.exec("UPDATE runs SET status = 'cancelled' WHERE id = 'r1'");
  }
  EXPECT_EQ(ids(store().runs().with_status(RunStatus::cancelled)), (std::vector<std::string>{"r1"}));
  EXPECT_EQ(store().runs().find("r1")->status, RunStatus::cancelled);
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
  store().jobs().remove("job-old");
  const auto done = store().runs().find("run-done");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->seq, 1);
  EXPECT_EQ(done->job_id, "job-old");
  store().jobs().create(make_job("job-new", "prj-old", "nightly"));
  store().runs().insert(make_run("run-new", job("job-new")), 10);
  EXPECT_EQ(store().runs().find("run-new")->seq, 3);
  EXPECT_EQ(ids(store().runs().list(RunFilter{})), (std::vector<std::string>{"run-new", "run-done"}));
  ASSERT_TRUE(store().runs().finish("run-new", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "x", json::object()));
  store().projects().remove("prj-old");
  EXPECT_FALSE(store().runs().find("run-done").has_value()) << "deleting the project still deletes its runs";
}

}  // namespace
