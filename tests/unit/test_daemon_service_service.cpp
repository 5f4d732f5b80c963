// Tests for daemon/service/service: the rules a user notices, whatever the listener —
// registering a project, creating and changing jobs (docs/api.md), who may run what
// (docs/commands.md), queueing, cancelling and retrying runs, and how store failures reach
// the caller (daemon/service/errors.hpp). A real Service over a real Store in a temporary
// folder; the dispatcher is never started, so triggered runs stay queued.
#include "daemon/service/service.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common/data_dir.hpp"
#include "common/time.hpp"
#include "daemon/runner/dispatcher.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "test_util.hpp"

namespace {

namespace runner = dagctl::daemon::runner;
namespace service = dagctl::daemon::service;
namespace store = dagctl::daemon::store;
namespace fs = std::filesystem;
using dagctl::common::RunStatus;
using dagctl::common::Trust;
using nlohmann::json;
using service::UserError;
using namespace dagctl::test;  // test_util.hpp

// Whether a message holds the words a user would look for; shows the message when not.
::testing::AssertionResult says(const std::string& message, const std::string& words) {
  if (message.find(words) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the message \"" << message << "\" does not say \"" << words << "\"";
}

// The UserError `call` throws; fails the test when it throws none.
UserError refusal(const std::function<void()>& call) {
  try {
    call();
  } catch (const UserError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a UserError";
  return UserError(0, "", "");
}

class ServiceTest : public ::testing::Test {
protected:
  // A short busy wait: the test that holds the write lock from outside waits only this long.
  ServiceTest()
      : store_(dir_.file("dagctl.db"), std::chrono::milliseconds(50)),
        outbox_(store_, store_.projects().default_organization()),
        dispatcher_(store_, executor_, 1, &outbox_),
        service_(store_, dispatcher_, outbox_, daemon_info()) {}

  service::DaemonInfo daemon_info() const {
    service::DaemonInfo out;
    out.version = "test";
    out.data_dir = dir_.path().string();
    return out;
  }

  // A folder that looks like a dbt project; its name becomes the project's by default.
  std::string dbt_folder(const std::string& name) {
    const fs::path folder = dir_.path() / name;
    fs::create_directories(folder);
    std::ofstream(folder / "dbt_project.yml") << "name: " << name << "\n";
    return folder.string();
  }

  // Project "shop" with its job "default" and a job "nightly" (dbt build --select tag:nightly).
  void add_shop() {
    service::ProjectSpec spec;
    spec.path = dbt_folder("shop");
    spec.check = false;  // no dbt here: test_daemon_service_project_check.cpp tests the checks
    project_ = service_.add_project(spec).id;
    service_.create_job(project_, json{{"name", "nightly"}, {"command", "dbt build --select tag:nightly"}});
  }

  // Ends a queued run with `status`, as the dispatcher would.
  void end_run(const std::string& run_id, RunStatus status) {
    ASSERT_TRUE(store_.runs().mark_running(run_id, dagctl::common::now()));
    ASSERT_TRUE(store_.runs().finish(run_id, status, dagctl::common::now(), 1, std::nullopt, json::object()));
  }

  // What dbt leaves in the run's target folder, the state `dbt retry` resumes from.
  void write_run_results(const std::string& run_id) {
    const fs::path target = dagctl::common::DataDir(dir_.path().string()).run_target(run_id);
    fs::create_directories(target);
    std::ofstream(target / "run_results.json") << "{\"results\": []}";
  }

  TempDir dir_;
  store::Store store_;
  dagctl::daemon::webhooks::Outbox outbox_;
  NoExecutor executor_;
  runner::Dispatcher dispatcher_;
  service::Service service_;
  std::string project_;
};

// --- add_project ---

TEST_F(ServiceTest, AProjectGetsTheFolderNameAndADefaultJobThatBuilds) {
  service::ProjectSpec spec;
  spec.path = dbt_folder("shop");
  spec.check = false;
  const auto project = service_.add_project(spec);
  EXPECT_EQ(project.name, "shop");
  EXPECT_EQ(project.path, fs::canonical(spec.path).string());
  const auto jobs = service_.list_jobs("shop");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "default");
  EXPECT_EQ(jobs[0].command, "dbt build");
}

TEST_F(ServiceTest, AProjectIsWarmUnlessToldOtherwiseAndAPatchChangesOnlyWhatItSays) {
  service::ProjectSpec spec;
  spec.path = dbt_folder("shop");
  spec.check = false;
  EXPECT_TRUE(service_.add_project(spec).warm);
  spec.path = dbt_folder("cold");
  spec.warm = false;
  EXPECT_FALSE(service_.add_project(spec).warm);
  service::ProjectPatch patch;
  patch.check = false;
  patch.target = "prod";
  EXPECT_FALSE(service_.update_project("cold", patch).warm);
  patch.warm = true;
  EXPECT_TRUE(service_.update_project("cold", patch).warm);
  EXPECT_TRUE(service_.get_project("cold").warm);
}

TEST_F(ServiceTest, AMissingFolderIs400NamingIt) {
  service::ProjectSpec spec;
  spec.path = (dir_.path() / "nowhere").string();
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "no folder"));
  EXPECT_TRUE(says(e.what(), spec.path));
}

TEST_F(ServiceTest, AFolderWithoutDbtProjectYmlIs400) {
  const fs::path folder = dir_.path() / "notes";
  fs::create_directories(folder);
  service::ProjectSpec spec;
  spec.path = folder.string();
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "no dbt_project.yml"));
}

TEST_F(ServiceTest, ATakenProjectNameIs409) {
  service::ProjectSpec first;
  first.path = dbt_folder("shop");
  first.check = false;
  service_.add_project(first);
  service::ProjectSpec second;
  second.path = dbt_folder("shop2");
  second.name = "shop";
  const auto e = refusal([&] { service_.add_project(second); });
  EXPECT_EQ(e.http_status(), 409);
  EXPECT_TRUE(says(e.what(), "'shop' exists already"));
  EXPECT_EQ(service_.list_projects().size(), 1u);
}

TEST_F(ServiceTest, ABadProjectNameIs400) {
  service::ProjectSpec spec;
  spec.path = dbt_folder("shop");
  spec.name = "my shop";
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "project name"));
  EXPECT_TRUE(service_.list_projects().empty());
}

// --- create_job / update_job ---

TEST_F(ServiceTest, AnUnknownJobFieldIs400NamingIt) {
  add_shop();
  const auto created = refusal([&] {
    service_.create_job(project_, json{{"name", "x"}, {"command", "dbt run"}, {"colour", "blue"}});
  });
  EXPECT_EQ(created.http_status(), 400);
  EXPECT_TRUE(says(created.what(), "unknown field 'colour'"));
  const auto updated = refusal([&] { service_.update_job(project_, "nightly", json{{"colour", "blue"}}); });
  EXPECT_EQ(updated.http_status(), 400);
  EXPECT_TRUE(says(updated.what(), "unknown field 'colour'"));
}

TEST_F(ServiceTest, ANewJobNeedsNameAndCommand) {
  add_shop();
  const auto e = refusal([&] { service_.create_job(project_, json{{"name", "x"}}); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "'name' and 'command'"));
}

TEST_F(ServiceTest, APatchChangesOnlyTheFieldsGiven) {
  add_shop();
  service_.update_job(project_, "nightly", json{{"schedule", "0 3 * * *"}, {"timeout_seconds", 600}});
  const auto job = service_.update_job(project_, "nightly", json{{"enabled", false}});
  EXPECT_FALSE(job.enabled);
  EXPECT_EQ(job.name, "nightly");
  EXPECT_EQ(job.command, "dbt build --select tag:nightly");
  EXPECT_EQ(job.schedule, "0 3 * * *");
  EXPECT_EQ(job.timeout_seconds, 600);
  EXPECT_EQ(service_.get_job(project_, "nightly").schedule, "0 3 * * *");
}

TEST_F(ServiceTest, ABadCommandIs400AndLeavesTheJobAsItWas) {
  add_shop();
  const auto before = service_.get_job(project_, "nightly");
  const auto e = refusal([&] {
    service_.update_job(project_, "nightly", json{{"timeout_seconds", 60}, {"command", "dbt build; rm -rf /"}});
  });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "command"));
  const auto after = service_.get_job(project_, "nightly");
  EXPECT_EQ(after.command, before.command);
  EXPECT_EQ(after.timeout_seconds, before.timeout_seconds);
  EXPECT_EQ(after.updated_at, before.updated_at);
}

TEST_F(ServiceTest, InlineSqlIsTheSocketOwnersOnly) {
  add_shop();
  const json show = {{"command", "dbt show --inline 'select 1'"}};
  const auto e = refusal([&] { service_.update_job(project_, "nightly", show, Trust::token); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "--inline"));
  EXPECT_TRUE(says(e.what(), "socket owner"));
  EXPECT_EQ(service_.update_job(project_, "nightly", show, Trust::owner).command, "dbt show --inline 'select 1'");
}

TEST_F(ServiceTest, ATakenJobNameIs409) {
  add_shop();
  const auto e = refusal([&] { service_.create_job(project_, json{{"name", "nightly"}, {"command", "dbt run"}}); });
  EXPECT_EQ(e.http_status(), 409);
  EXPECT_TRUE(says(e.what(), "'nightly' already"));
}

TEST_F(ServiceTest, ADeletedJobIsGone) {
  add_shop();
  service_.delete_job(project_, "nightly");
  const auto e = refusal([&] { service_.get_job(project_, "nightly"); });
  EXPECT_EQ(e.http_status(), 404);
  EXPECT_TRUE(says(e.what(), "no job 'nightly'"));
  EXPECT_EQ(service_.list_jobs(project_).size(), 1u);
}

TEST_F(ServiceTest, EachJobChangeTellsTheListener) {
  add_shop();
  int changes = 0;
  service_.set_jobs_changed_listener([&changes] { ++changes; });
  service_.create_job(project_, json{{"name", "hourly"}, {"command", "dbt run"}});
  service_.update_job(project_, "hourly", json{{"schedule", "@hourly"}});
  service_.delete_job(project_, "hourly");
  EXPECT_EQ(changes, 3);
}

// --- trigger, cancel, retry ---

TEST_F(ServiceTest, ATriggerQueuesARunWithWhoAsked) {
  add_shop();
  const auto run = service_.trigger(project_, "nightly", std::nullopt, "api");
  EXPECT_EQ(run.status, RunStatus::queued);
  EXPECT_EQ(run.triggered_by, "api");
  EXPECT_EQ(run.command, "dbt build --select tag:nightly");
  EXPECT_FALSE(run.command_override);
  const auto stored = service_.get_run(run.id);
  EXPECT_EQ(stored.status, RunStatus::queued);
  EXPECT_EQ(stored.triggered_by, "api");
}

TEST_F(ServiceTest, AnOverrideIsRunInsteadOfTheJobsCommand) {
  add_shop();
  const auto run = service_.trigger(project_, "nightly", std::string("dbt run --select orders+"), "manual");
  EXPECT_EQ(run.command, "dbt run --select orders+");
  EXPECT_EQ(run.command_override, "dbt run --select orders+");
}

TEST_F(ServiceTest, DeferToLastSuccessNeedsASuccessfulRun) {
  add_shop();
  const auto e = refusal([&] { service_.trigger(project_, "nightly", std::nullopt, "api", Trust::token, true); });
  EXPECT_EQ(e.http_status(), 409);
  EXPECT_TRUE(says(e.what(), "defer_to_last_success: job 'nightly' has no successful run")) << e.what();
  EXPECT_EQ(service_.run_counts().queued, 0);
}

TEST_F(ServiceTest, DeferToLastSuccessAddsDeferToTheCommand) {
  add_shop();
  end_run(service_.trigger(project_, "nightly", std::nullopt, "api").id, RunStatus::success);
  const auto plain = service_.trigger(project_, "nightly", std::nullopt, "api", Trust::token, true);
  EXPECT_EQ(plain.command, "dbt build --select tag:nightly --defer");
  EXPECT_EQ(plain.command_override, "dbt build --select tag:nightly --defer");
  const auto with_override =
      service_.trigger(project_, "nightly", std::string("dbt run --defer --select a"), "api", Trust::token, true);
  EXPECT_EQ(with_override.command, "dbt run --defer --select a") << "--defer once";
}

TEST_F(ServiceTest, ABadOverrideIs400AndQueuesNothing) {
  add_shop();
  const auto e = refusal([&] { service_.trigger(project_, "nightly", std::string("python evil.py"), "api"); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "command_override"));
  EXPECT_TRUE(says(e.what(), "'dbt'"));
  const auto inline_sql = refusal([&] {
    service_.trigger(project_, "nightly", std::string("dbt show --inline 'select 1'"), "api", Trust::token);
  });
  EXPECT_EQ(inline_sql.http_status(), 400);
  EXPECT_EQ(service_.run_counts().queued, 0);
}

TEST_F(ServiceTest, TheQueueOfOneJobHoldsAtMostItsLimit) {
  add_shop();
  for (int i = 0; i < service::kMaxQueuedPerJob; ++i) service_.trigger(project_, "nightly", std::nullopt, "api");
  const auto e = refusal([&] { service_.trigger(project_, "nightly", std::nullopt, "api"); });
  EXPECT_EQ(e.http_status(), 429);
  EXPECT_EQ(e.code(), "queue_full");
  EXPECT_EQ(service_.run_counts().queued, service::kMaxQueuedPerJob);
  // Another job's queue is its own.
  EXPECT_EQ(service_.trigger(project_, "default", std::nullopt, "api").status, RunStatus::queued);
}

TEST_F(ServiceTest, CancellingAQueuedRunEndsItCancelled) {
  add_shop();
  const auto run = service_.trigger(project_, "nightly", std::nullopt, "api");
  EXPECT_EQ(service_.cancel_run(run.id).status, RunStatus::cancelled);
  EXPECT_EQ(service_.get_run(run.id).status, RunStatus::cancelled);
  // Cancelling again changes nothing.
  EXPECT_EQ(service_.cancel_run(run.id).status, RunStatus::cancelled);
}

TEST_F(ServiceTest, ASuccessfulRunCannotBeRetried) {
  add_shop();
  const auto run = service_.trigger(project_, "nightly", std::nullopt, "api");
  end_run(run.id, RunStatus::success);
  write_run_results(run.id);
  const auto e = refusal([&] { service_.retry_run(run.id); });
  EXPECT_EQ(e.http_status(), 409);
  EXPECT_TRUE(says(e.what(), "is success"));
  EXPECT_TRUE(says(e.what(), "only a failed, partial or error run"));
}

TEST_F(ServiceTest, AFailedRunWithoutRunResultsCannotBeRetried) {
  add_shop();
  const auto run = service_.trigger(project_, "nightly", std::nullopt, "api");
  end_run(run.id, RunStatus::failed);
  const auto e = refusal([&] { service_.retry_run(run.id); });
  EXPECT_EQ(e.http_status(), 409);
  EXPECT_TRUE(says(e.what(), "no run_results.json"));
  EXPECT_TRUE(says(e.what(), "trigger the job again"));
}

TEST_F(ServiceTest, AFailedRunWithRunResultsIsRetriedWithDbtRetry) {
  add_shop();
  const auto failed = service_.trigger(project_, "nightly", std::nullopt, "api");
  end_run(failed.id, RunStatus::failed);
  write_run_results(failed.id);
  const auto retry = service_.retry_run(failed.id);
  EXPECT_NE(retry.id, failed.id);
  EXPECT_EQ(retry.status, RunStatus::queued);
  EXPECT_EQ(retry.command, "dbt retry");
  EXPECT_EQ(retry.retry_of, failed.id);
  EXPECT_EQ(retry.triggered_by, "retry");
  EXPECT_EQ(retry.job_id, failed.job_id);
}

TEST_F(ServiceTest, AnUnknownRunIs404) {
  const auto e = refusal([&] { service_.get_run("no-such-run"); });
  EXPECT_EQ(e.http_status(), 404);
  EXPECT_TRUE(says(e.what(), "no run 'no-such-run'"));
}

// --- remove_project ---

TEST_F(ServiceTest, AProjectWithAQueuedRunIsKeptUntilTheRunIsCancelled) {
  add_shop();
  const auto run = service_.trigger(project_, "nightly", std::nullopt, "api");
  const auto e = refusal([&] { service_.remove_project("shop"); });
  EXPECT_EQ(e.http_status(), 409);
  EXPECT_TRUE(says(e.what(), "queued or running runs"));
  EXPECT_EQ(service_.list_projects().size(), 1u);

  service_.cancel_run(run.id);
  service_.remove_project("shop");
  EXPECT_TRUE(service_.list_projects().empty());
}

TEST_F(ServiceTest, RemovingAnUnknownProjectIs404) {
  const auto e = refusal([&] { service_.remove_project("nope"); });
  EXPECT_EQ(e.http_status(), 404);
  EXPECT_TRUE(says(e.what(), "no project 'nope'"));
}

// --- store errors ---

TEST_F(ServiceTest, AnotherProcesssLockIs503DatabaseLocked) {
  add_shop();
  OutsideLock lock(dir_.file("dagctl.db"));
  const auto e = refusal([&] { service_.trigger(project_, "nightly", std::nullopt, "api"); });
  EXPECT_EQ(e.http_status(), 503);
  EXPECT_EQ(e.code(), "database_locked");
  EXPECT_TRUE(says(e.what(), "locked by another process"));
  EXPECT_TRUE(says(e.what(), "try again"));

  lock.release();  // the same call works once the lock is gone
  EXPECT_EQ(service_.trigger(project_, "nightly", std::nullopt, "api").status, RunStatus::queued);
}

TEST_F(ServiceTest, AJobChangeWaitingForTheLockIs503AndChangesNothing) {
  add_shop();
  {
    OutsideLock lock(dir_.file("dagctl.db"));
    const auto e = refusal([&] { service_.update_job(project_, "nightly", json{{"enabled", false}}); });
    EXPECT_EQ(e.http_status(), 503);
    EXPECT_EQ(e.code(), "database_locked");
  }
  EXPECT_TRUE(service_.get_job(project_, "nightly").enabled);
}

// --- SQLMesh projects (docs/sqlmesh.md) ---

class SqlmeshServiceTest : public ServiceTest {
protected:
  // A folder with SQLMesh's config (and, with `dbt_too`, dbt_project.yml as well).
  std::string sqlmesh_folder(const std::string& name, bool dbt_too = false) {
    const fs::path folder = dir_.path() / name;
    fs::create_directories(folder);
    std::ofstream(folder / "config.yaml") << "model_defaults:\n  dialect: duckdb\n";
    if (dbt_too) std::ofstream(folder / "dbt_project.yml") << "name: " << name << "\n";
    return folder.string();
  }

  service::ProjectSpec spec_of(const std::string& path) {
    service::ProjectSpec spec;
    spec.path = path;
    spec.check = false;  // test_daemon_service_project_check.cpp tests the checks
    return spec;
  }

  // Project "bakery", a SQLMesh project, with its job "default".
  void add_bakery() { project_ = service_.add_project(spec_of(sqlmesh_folder("bakery"))).id; }
};

TEST_F(SqlmeshServiceTest, AFolderWithSqlmeshsConfigIsASqlmeshProjectThatRunsSqlmeshRun) {
  const auto project = service_.add_project(spec_of(sqlmesh_folder("bakery")));
  EXPECT_EQ(project.type, "sqlmesh");
  EXPECT_FALSE(project.warm) << "warm workers run dbt";
  const auto jobs = service_.list_jobs("bakery");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "default");
  EXPECT_EQ(jobs[0].command, "sqlmesh run");
  for (const char* config : {"config.yml", "config.py"}) {
    const fs::path folder = dir_.path() / (std::string("other-") + config);
    fs::create_directories(folder);
    std::ofstream(folder / config) << "\n";
    EXPECT_EQ(service_.add_project(spec_of(folder.string())).type, "sqlmesh") << config;
  }
}

TEST_F(SqlmeshServiceTest, AFolderWithBothIsADbtProject) {
  const auto project = service_.add_project(spec_of(sqlmesh_folder("both", true)));
  EXPECT_EQ(project.type, "dbt");
  EXPECT_EQ(service_.list_jobs("both").at(0).command, "dbt build");
  // Unless told outright.
  auto spec = spec_of(dir_.path() / "both");
  spec.name = "both-sqlmesh";
  spec.type = "sqlmesh";
  EXPECT_EQ(service_.add_project(spec).type, "sqlmesh");
}

TEST_F(SqlmeshServiceTest, TypeSqlmeshOnAFolderWithoutItsConfigIs400) {
  auto spec = spec_of(dbt_folder("shop"));
  spec.type = "sqlmesh";
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "has no config.yaml, config.yml or config.py"));
  EXPECT_TRUE(service_.list_projects().empty());
}

TEST_F(SqlmeshServiceTest, TypeDbtOnASqlmeshFolderSaysToUseTypeSqlmesh) {
  auto spec = spec_of(sqlmesh_folder("bakery"));
  spec.type = "dbt";
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "--type sqlmesh"));
  spec.type = "airflow";
  const auto unknown = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(unknown.http_status(), 400);
  EXPECT_TRUE(says(unknown.what(), "use dbt or sqlmesh"));
}

TEST_F(SqlmeshServiceTest, DbtSettingsOnASqlmeshProjectAre400) {
  auto with_dbt = spec_of(sqlmesh_folder("bakery"));
  with_dbt.dbt = "/opt/dbt/bin/dbt";
  const auto dbt = refusal([&] { service_.add_project(with_dbt); });
  EXPECT_EQ(dbt.http_status(), 400);
  EXPECT_TRUE(says(dbt.what(), "'dbt' (--dbt) is for dbt projects"));
  auto with_profiles = spec_of(dir_.path() / "bakery");
  with_profiles.profiles_dir = dir_.path().string();
  EXPECT_EQ(refusal([&] { service_.add_project(with_profiles); }).http_status(), 400);
  auto with_target = spec_of(dir_.path() / "bakery");
  with_target.target = "prod";
  EXPECT_EQ(refusal([&] { service_.add_project(with_target); }).http_status(), 400);
  // And the other way round: 'sqlmesh' on a dbt project.
  auto dbt_project = spec_of(dbt_folder("shop"));
  dbt_project.sqlmesh = "/opt/sqlmesh/bin/sqlmesh";
  EXPECT_TRUE(says(refusal([&] { service_.add_project(dbt_project); }).what(), "'sqlmesh' (--sqlmesh) is for SQLMesh"));
  EXPECT_TRUE(service_.list_projects().empty());
}

TEST_F(SqlmeshServiceTest, APatchOfASqlmeshProjectRefusesDbtSettingsAndWarmWorkers) {
  add_bakery();
  service::ProjectPatch warm;
  warm.check = false;
  warm.warm = true;
  const auto e = refusal([&] { service_.update_project("bakery", warm); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "warm workers run dbt"));
  service::ProjectPatch profiles;
  profiles.check = false;
  profiles.profiles_dir = dir_.path().string();
  EXPECT_EQ(refusal([&] { service_.update_project("bakery", profiles); }).http_status(), 400);
  service::ProjectPatch dbt;
  dbt.check = false;
  dbt.dbt = "/opt/dbt/bin/dbt";
  EXPECT_EQ(refusal([&] { service_.update_project("bakery", dbt); }).http_status(), 400);
  service::ProjectPatch executable;
  executable.check = false;
  executable.sqlmesh = "/opt/sqlmesh/bin/sqlmesh";
  executable.warm = false;
  const auto updated = service_.update_project("bakery", executable);
  EXPECT_EQ(updated.executable, "/opt/sqlmesh/bin/sqlmesh");
  EXPECT_FALSE(updated.warm);
  EXPECT_EQ(updated.type, "sqlmesh");
  // Its own type again is no change; another is refused, saying what the project is.
  service::ProjectPatch same;
  same.check = false;
  same.type = "sqlmesh";
  EXPECT_EQ(service_.update_project("bakery", same).type, "sqlmesh");
  service::ProjectPatch other;
  other.check = false;
  other.type = "dbt";
  const auto changed = refusal([&] { service_.update_project("bakery", other); });
  EXPECT_EQ(changed.http_status(), 400);
  EXPECT_TRUE(says(changed.what(), "a project's type cannot change (this is a SQLMesh project)"));
}

TEST_F(SqlmeshServiceTest, AJobsCommandFollowsTheProjectsGrammar) {
  add_bakery();
  const auto e = refusal([&] { service_.create_job(project_, json{{"name", "x"}, {"command", "dbt build"}}); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_EQ(service_.create_job(project_, json{{"name", "hourly"}, {"command", "sqlmesh run"}}).command, "sqlmesh run");
  EXPECT_EQ(service_
                .create_job(project_, json{{"name", "plan"},
                                           {"command", "sqlmesh plan --auto-apply --no-prompts"}})
                .command,
            "sqlmesh plan --auto-apply --no-prompts");
  EXPECT_EQ(refusal([&] { service_.update_job(project_, "hourly", json{{"command", "dbt run"}}); }).http_status(), 400);
  EXPECT_EQ(service_.get_job(project_, "hourly").command, "sqlmesh run");
  // And a dbt project's job still takes dbt's only.
  add_shop();
  EXPECT_EQ(refusal([&] { service_.create_job(project_, json{{"name", "y"}, {"command", "sqlmesh run"}}); })
                .http_status(),
            400);
}

TEST_F(SqlmeshServiceTest, AnOverrideFollowsTheProjectsGrammar) {
  add_bakery();
  const auto e = refusal([&] { service_.trigger(project_, "default", std::string("dbt run"), "api"); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "command_override"));
  const auto run =
      service_.trigger(project_, "default", std::string("sqlmesh run --select-model bakery.daily_sales"), "api");
  EXPECT_EQ(run.command, "sqlmesh run --select-model bakery.daily_sales");
  EXPECT_EQ(service_.run_counts().queued, 1);
}

TEST_F(SqlmeshServiceTest, DeferToLastSuccessIsRefused) {
  add_bakery();
  end_run(service_.trigger(project_, "default", std::nullopt, "api").id, RunStatus::success);
  const auto e = refusal([&] { service_.trigger(project_, "default", std::nullopt, "api", Trust::token, true); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "defer_to_last_success"));
  EXPECT_EQ(service_.run_counts().queued, 0);
}

TEST_F(SqlmeshServiceTest, ARetryQueuesTheSameCommandAgain) {
  add_bakery();
  const auto failed =
      service_.trigger(project_, "default", std::string("sqlmesh run --select-model bakery.orders"), "api");
  end_run(failed.id, RunStatus::partial);  // no run_results.json, no node records: SQLMesh needs none
  const auto retry = service_.retry_run(failed.id);
  EXPECT_EQ(retry.command, "sqlmesh run --select-model bakery.orders");
  EXPECT_EQ(retry.command_override, "sqlmesh run --select-model bakery.orders");
  EXPECT_EQ(retry.retry_of, failed.id);
  EXPECT_EQ(retry.triggered_by, "retry");
  EXPECT_EQ(retry.status, RunStatus::queued);
  const auto plain = service_.trigger(project_, "default", std::nullopt, "api");
  end_run(plain.id, RunStatus::error);
  const auto again = service_.retry_run(plain.id);
  EXPECT_EQ(again.command, "sqlmesh run");
  EXPECT_FALSE(again.command_override.has_value());
}

}  // namespace
