// Tests for daemon/service/project_check and the project routes of Service that use it:
// where profiles.yml is looked for (as dbt looks), the profile and target lookups, the dbt
// executable check (a stand-in script answers --version), and that add_project and
// update_project refuse a project whose check fails unless told not to check.
#include "daemon/service/project_check.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/runner/dispatcher.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "test_util.hpp"

namespace {

namespace runner = dagctl::daemon::runner;
namespace service = dagctl::daemon::service;
namespace store = dagctl::daemon::store;
namespace fs = std::filesystem;
using namespace dagctl::test;  // test_util.hpp
using namespace std::chrono_literals;

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// An executable script at `file`.
void write_script(const fs::path& file, const std::string& body) {
  write(file, "#!/bin/sh\n" + body);
  fs::permissions(file, fs::perms::owner_all);
}

const char* const kProfiles =
    "shop:\n"
    "  target: dev\n"
    "  outputs:\n"
    "    dev: {type: duckdb, path: shop.duckdb}\n"
    "    prod: {type: duckdb, path: prod.duckdb}\n";

class ProjectCheckTest : public ::testing::Test {
protected:
  ProjectCheckTest() {
    write(project_ / "dbt_project.yml", "name: shop\nprofile: shop\n");
    write_script(dbt_, "echo 'Core:'\necho '  - installed: 1.9.0'\necho 'Plugins:'\necho '  - duckdb: 1.9.1 - Up to date!'\n");
    subject_.path = project_.string();
    subject_.dbt = dbt_.string();
    subject_.env = {{"HOME", home_.string()}, {"PATH", "/usr/bin:/bin"}};
  }

  const service::CheckResult* find(const service::CheckReport& report, const std::string& name) {
    for (const auto& c : report.checks) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }

  TempDir dir_;
  fs::path project_ = dir_.path() / "shop";
  fs::path home_ = dir_.path() / "home";
  fs::path dbt_ = dir_.path() / "venv/bin/dbt";
  service::CheckSubject subject_;
};

TEST_F(ProjectCheckTest, ProfilesAreLookedForAsDbtLooks) {
  // Nowhere: ~/.dbt, from the run's HOME.
  EXPECT_EQ(service::profiles_location(subject_).dir, (home_ / ".dbt").string());
  // The project folder once it holds a profiles.yml.
  write(project_ / "profiles.yml", kProfiles);
  EXPECT_EQ(service::profiles_location(subject_).dir, project_.string());
  EXPECT_EQ(service::profiles_location(subject_).because, "the project folder");
  // DBT_PROFILES_DIR in the project's env wins over that, relative to the project folder.
  subject_.env["DBT_PROFILES_DIR"] = "conf";
  EXPECT_EQ(service::profiles_location(subject_).dir, (project_ / "conf").string());
  // The project's --profiles-dir wins over everything (the runner sets DBT_PROFILES_DIR from it).
  subject_.profiles_dir = (dir_.path() / "profiles").string();
  EXPECT_EQ(service::profiles_location(subject_).dir, subject_.profiles_dir);
}

TEST_F(ProjectCheckTest, AllOkWithTheProfileInHome) {
  write(home_ / ".dbt/profiles.yml", kProfiles);
  const auto report = service::run_checks(subject_, 10s);
  EXPECT_TRUE(report.ok()) << report.failures();
  ASSERT_EQ(report.checks.size(), 4u);
  EXPECT_EQ(find(report, "dbt")->detail, "dbt-core 1.9.0 (duckdb 1.9.1) at " + dbt_.string());
  EXPECT_NE(find(report, "target")->detail.find("'dev' (the profile's target)"), std::string::npos);
}

TEST_F(ProjectCheckTest, AMissingProfileNamesTheFileAndTheProfilesItHas) {
  write(project_ / "profiles.yml", "other:\n  outputs: {dev: {type: duckdb}}\n");
  const auto report = service::run_checks(subject_, 10s);
  EXPECT_FALSE(report.ok());
  const auto* c = find(report, "profiles.yml");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->detail.find("no profile 'shop'"), std::string::npos) << c->detail;
  EXPECT_NE(c->detail.find("it has: other"), std::string::npos) << c->detail;
  EXPECT_EQ(find(report, "target"), nullptr);  // nothing to look in
}

TEST_F(ProjectCheckTest, NoProfilesYmlAtAllSaysWhereItLooked) {
  const auto report = service::run_checks(subject_, 10s);
  const auto* c = find(report, "profiles.yml");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->detail.find((home_ / ".dbt").string()), std::string::npos) << c->detail;
  EXPECT_NE(c->detail.find("--profiles-dir"), std::string::npos) << c->detail;
}

TEST_F(ProjectCheckTest, AWrongTargetListsTheTargets) {
  write(project_ / "profiles.yml", kProfiles);
  subject_.target = "staging";
  const auto report = service::run_checks(subject_, 10s);
  const auto* c = find(report, "target");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->detail.find("no target 'staging'"), std::string::npos) << c->detail;
  EXPECT_NE(c->detail.find("dev, prod"), std::string::npos) << c->detail;
  // DBT_TARGET in the env chooses when the project names none.
  subject_.target.clear();
  subject_.env["DBT_TARGET"] = "prod";
  EXPECT_TRUE(service::run_checks(subject_, 10s).ok());
}

TEST_F(ProjectCheckTest, EnvVarTemplatesAreRendered) {
  const std::map<std::string, std::string> env = {{"T", "prod"}};
  EXPECT_EQ(service::render_env_vars("{{ env_var('T') }}", env), "prod");
  EXPECT_EQ(service::render_env_vars("{{ env_var(\"U\", \"dev\") }}", env), "dev");
  EXPECT_EQ(service::render_env_vars("plain", env), "plain");
  EXPECT_EQ(service::render_env_vars("{{ env_var('U') }}", env), std::nullopt);
  EXPECT_EQ(service::render_env_vars("{{ var('x') }}", env), std::nullopt);
  write(project_ / "profiles.yml",
        "shop:\n  target: \"{{ env_var('SHOP_TARGET', 'dev') }}\"\n  outputs:\n    dev: {type: duckdb}\n");
  EXPECT_TRUE(service::run_checks(subject_, 10s).ok());
  subject_.env["SHOP_TARGET"] = "prod";
  EXPECT_FALSE(service::run_checks(subject_, 10s).ok());
}

TEST_F(ProjectCheckTest, DbtProjectYmlMustNameAProfile) {
  write(project_ / "dbt_project.yml", "name: shop\n");
  auto profile = service::project_profile(project_.string(), {});
  ASSERT_FALSE(profile);
  EXPECT_NE(profile.error().find("names no profile"), std::string::npos);
  write(project_ / "dbt_project.yml", "name: [shop\n");
  profile = service::project_profile(project_.string(), {});
  ASSERT_FALSE(profile);
  EXPECT_NE(profile.error().find("cannot be read as YAML"), std::string::npos);
}

// A FIFO in place of dbt_project.yml would block the request's thread until someone wrote
// to it; enough such requests would take every listener thread.
TEST_F(ProjectCheckTest, AFifoInPlaceOfAYamlFileIsRefusedWithoutBlocking) {
  std::filesystem::remove(project_ / "dbt_project.yml");
  ASSERT_EQ(::mkfifo((project_ / "dbt_project.yml").c_str(), 0600), 0);
  const auto profile = service::project_profile(project_.string(), {});
  ASSERT_FALSE(profile);
  EXPECT_NE(profile.error().find("not a regular file"), std::string::npos) << profile.error();
}

TEST_F(ProjectCheckTest, AMissingOrBrokenDbtFailsTheDbtCheck) {
  subject_.dbt = (dir_.path() / "nowhere/dbt").string();
  auto c = service::check_dbt(subject_, 10s);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("no executable at"), std::string::npos) << c.detail;

  subject_.dbt = dir_.path().string();  // a folder: said as such, not "Permission denied"
  c = service::check_dbt(subject_, 10s);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("is a folder; give the path of dbt itself (--dbt "), std::string::npos) << c.detail;

  subject_.dbt = "surely-no-such-dbt-here";
  c = service::check_dbt(subject_, 10s);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("PATH"), std::string::npos) << c.detail;

  write_script(dbt_, "echo 'ModuleNotFoundError: No module named dbt' >&2\nexit 1\n");
  subject_.dbt = dbt_.string();
  c = service::check_dbt(subject_, 10s);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("exited 1: ModuleNotFoundError"), std::string::npos) << c.detail;
}

TEST_F(ProjectCheckTest, ADbtThatHangsIsKilledAtTheDeadline) {
  write_script(dbt_, "exec sleep 30\n");
  const auto started = std::chrono::steady_clock::now();
  const auto c = service::check_dbt(subject_, 200ms);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("did not answer"), std::string::npos) << c.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

// --- SQLMesh projects: `sqlmesh --version` and SQLMesh's config (docs/sqlmesh.md) ---

class SqlmeshCheckTest : public ::testing::Test {
protected:
  SqlmeshCheckTest() {
    write(project_ / "config.yaml", "model_defaults:\n  dialect: duckdb\n");
    write_script(sqlmesh_, "echo '0.236.0'\n");
    subject_.type = "sqlmesh";
    subject_.path = project_.string();
    subject_.dbt = sqlmesh_.string();
    subject_.env = {{"HOME", (dir_.path() / "home").string()}, {"PATH", "/usr/bin:/bin"}};
  }
  TempDir dir_;
  fs::path project_ = dir_.path() / "bakery";
  fs::path sqlmesh_ = dir_.path() / "venv/bin/sqlmesh";
  service::CheckSubject subject_;
};

TEST_F(SqlmeshCheckTest, AWorkingSqlmeshAndItsConfigAreTheTwoChecks) {
  const auto report = service::run_checks(subject_, 10s);
  ASSERT_EQ(report.checks.size(), 2u);
  EXPECT_EQ(report.checks[0].name, "sqlmesh");
  EXPECT_TRUE(report.checks[0].ok) << report.checks[0].detail;
  EXPECT_EQ(report.checks[0].detail, "sqlmesh 0.236.0 at " + sqlmesh_.string());
  EXPECT_EQ(report.checks[1].name, "config");
  EXPECT_TRUE(report.checks[1].ok);
  EXPECT_EQ(report.checks[1].detail, "SQLMesh's config.yaml");
  EXPECT_TRUE(report.ok());
}

TEST_F(SqlmeshCheckTest, AFolderWithoutConfigFailsTheConfigCheck) {
  fs::remove(project_ / "config.yaml");
  const auto report = service::run_checks(subject_, 10s);
  ASSERT_EQ(report.checks.size(), 2u);
  EXPECT_TRUE(report.checks[0].ok);
  EXPECT_EQ(report.checks[1].name, "config");
  EXPECT_FALSE(report.checks[1].ok);
  EXPECT_NE(report.checks[1].detail.find("has no config.yaml, config.yml or config.py"), std::string::npos)
      << report.checks[1].detail;
  EXPECT_FALSE(report.ok());
  write(project_ / "config.py", "config = None\n");
  EXPECT_TRUE(service::run_checks(subject_, 10s).ok());
}

TEST_F(SqlmeshCheckTest, AMissingSqlmeshNamesTheSqlmeshOption) {
  subject_.dbt = (dir_.path() / "nowhere/sqlmesh").string();
  auto c = service::check_dbt(subject_, 10s);
  EXPECT_EQ(c.name, "sqlmesh");
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("no executable at"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("--sqlmesh"), std::string::npos) << c.detail;
  EXPECT_EQ(c.detail.find("--dbt"), std::string::npos) << c.detail;
  subject_.dbt = "surely-no-such-sqlmesh-here";
  c = service::check_dbt(subject_, 10s);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("--sqlmesh"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("PATH"), std::string::npos) << c.detail;
}

TEST_F(SqlmeshCheckTest, ABrokenSqlmeshSaysWhatItPrinted) {
  write_script(sqlmesh_, "echo 'ModuleNotFoundError: No module named sqlmesh' >&2\nexit 1\n");
  const auto c = service::check_dbt(subject_, 10s);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("exited 1: ModuleNotFoundError"), std::string::npos) << c.detail;
}

// --- Service: registering and changing projects runs the checks ---

class ServiceProjectCheckTest : public ProjectCheckTest {
protected:
  ServiceProjectCheckTest()
      : store_(dir_.file("dagctl.db")),
        outbox_(store_, store_.projects().default_organization()),
        dispatcher_(store_, executor_, 1, &outbox_),
        service_(store_, dispatcher_, outbox_, info()) {
    write(project_ / "profiles.yml", kProfiles);
  }
  service::DaemonInfo info() const {
    service::DaemonInfo out;
    out.data_dir = dir_.path().string();
    out.default_dbt = dbt_.string();
    return out;
  }
  store::Store store_;
  dagctl::daemon::webhooks::Outbox outbox_;
  NoExecutor executor_;
  runner::Dispatcher dispatcher_;
  service::Service service_;
};

TEST_F(ServiceProjectCheckTest, AddRefusesAFailedCheckUnlessToldNotToCheck) {
  service::ProjectSpec spec;
  spec.path = project_.string();
  spec.target = "staging";
  try {
    service_.add_project(spec);
    FAIL() << "a project with a wrong target was registered";
  } catch (const service::UserError& e) {
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(e.code(), "check_failed");
    EXPECT_NE(std::string(e.what()).find("target: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--no-check"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(service_.list_projects().empty());
  spec.check = false;
  EXPECT_EQ(service_.add_project(spec).target, "staging");
  EXPECT_FALSE(service_.check_project("shop").ok());
}

TEST_F(ServiceProjectCheckTest, UpdateChangesFieldsAndChecksAgain) {
  service::ProjectSpec spec;
  spec.path = project_.string();
  spec.env = {{"A", "1"}, {"B", "2"}};
  service_.add_project(spec);
  service::ProjectPatch patch;
  patch.target = "prod";
  patch.env = {{"A", std::nullopt}, {"C", "3"}};
  const auto changed = service_.update_project("shop", patch);
  EXPECT_EQ(changed.target, "prod");
  EXPECT_EQ(changed.env, (std::map<std::string, std::string>{{"B", "2"}, {"C", "3"}}));
  EXPECT_EQ(service_.get_project("shop").target, "prod");

  service::ProjectPatch wrong;
  wrong.target = "staging";
  try {
    service_.update_project("shop", wrong);
    FAIL() << "a wrong target was accepted";
  } catch (const service::UserError& e) {
    EXPECT_EQ(e.code(), "check_failed");
  }
  EXPECT_EQ(service_.get_project("shop").target, "prod");
  wrong.check = false;
  EXPECT_EQ(service_.update_project("shop", wrong).target, "staging");
  service::ProjectPatch back;
  back.target = "";  // the profile's own again
  EXPECT_EQ(service_.update_project("shop", back).target, "");
}

}  // namespace
