// Tests for daemon/service/projects: projects from git (docs/api.md#projects-from-git) —
// registered from a real local repository into this daemon's checkout, the URL, ref and
// subfolder checks as 400s, a retry carrying its source's commit — and the shared-store
// rule: a folder project needs "on_every_daemon" when several daemons share the store.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common/data_dir.hpp"
#include "common/time.hpp"
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
using dagctl::common::RunStatus;
using nlohmann::json;
using service::UserError;
using namespace dagctl::test;  // test_util.hpp

UserError refusal(const std::function<void()>& call) {
  try {
    call();
  } catch (const UserError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a UserError";
  return UserError(0, "", "");
}

bool says(const std::string& message, const std::string& words) { return message.find(words) != std::string::npos; }

class ProjectsTest : public ::testing::Test {
protected:
  explicit ProjectsTest(bool shared = false)
      : store_(dir_.file("dagctl.db"), std::chrono::milliseconds(50)),
        outbox_(store_, store_.projects().default_organization()),
        dispatcher_(store_, executor_, 1, &outbox_),
        service_(store_, dispatcher_, outbox_, daemon_info(shared)) {}

  service::DaemonInfo daemon_info(bool shared) const {
    service::DaemonInfo out;
    out.version = "test";
    out.data_dir = dir_.path().string();
    out.daemon_id = "dmn_this";
    out.lease_seconds = 30;
    if (shared) {  // another daemon shares the store, alive
      out.daemons = [] {
        store::DaemonRecord other;
        other.id = "dmn_other";
        other.heartbeat_at = dagctl::common::now();
        return std::vector<store::DaemonRecord>{other};
      };
    }
    return out;
  }

  std::string dbt_folder(const std::string& name) {
    const fs::path folder = dir_.path() / name;
    fs::create_directories(folder);
    std::ofstream(folder / "dbt_project.yml") << "name: " << name << "\n";
    return folder.string();
  }

  // A bare repository holding a dbt project in `subdir`; its file:// URL.
  std::string repo_with_project(const std::string& subdir) {
    const fs::path work = dir_.path() / "work";
    const fs::path bare = dir_.path() / "origin.git";
    fs::create_directories(work / subdir);
    std::ofstream(work / subdir / "dbt_project.yml") << "name: shop\n";
    const std::string cmd = "git init -q --bare -b main '" + bare.string() + "' && cd '" + work.string() +
                            "' && git init -q -b main && git add -A && git -c user.name=t -c user.email=t@x commit -q "
                            "-m one && git push -q '" + bare.string() + "' HEAD:main";
    EXPECT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0);
    return "file://" + bare.string();
  }

  TempDir dir_;
  store::Store store_;
  dagctl::daemon::webhooks::Outbox outbox_;
  NoExecutor executor_;
  runner::Dispatcher dispatcher_;
  service::Service service_;
};

class SharedStoreTest : public ProjectsTest {
protected:
  SharedStoreTest() : ProjectsTest(true) {}
};

TEST_F(ProjectsTest, AProjectFromGitIsClonedIntoThisDaemonsCheckout) {
  service::ProjectSpec spec;
  spec.git_url = repo_with_project("analytics/shop");
  spec.git_subdir = "analytics/shop";
  spec.check = false;
  const auto p = service_.add_project(spec);
  EXPECT_EQ(p.name, "shop");  // the subfolder's name
  EXPECT_EQ(p.path, "");
  EXPECT_EQ(p.git_url, spec.git_url);
  EXPECT_EQ(p.git_ref, std::nullopt);
  EXPECT_EQ(p.git_subdir, "analytics/shop");
  const fs::path checkout = dagctl::common::DataDir(dir_.path().string()).checkout(p.id);
  EXPECT_TRUE(fs::exists(checkout / "analytics/shop/dbt_project.yml"));
  const auto stored = service_.get_project(p.id);
  EXPECT_EQ(stored.git_url, spec.git_url);
  EXPECT_EQ(stored.git_subdir, "analytics/shop");

  service_.remove_project(p.id);
  EXPECT_FALSE(fs::exists(checkout));
}

TEST_F(ProjectsTest, AFolderWithoutAProjectInTheRepositoryIs400AndLeavesNoCheckout) {
  service::ProjectSpec spec;
  spec.git_url = repo_with_project("shop");
  spec.check = false;
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "no dbt_project.yml")) << e.what();
  EXPECT_TRUE(service_.list_projects().empty());
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(dagctl::common::DataDir(dir_.path().string()).checkouts(), ec) || ec);
}

TEST_F(ProjectsTest, DangerousGitFieldsAre400BeforeGitRuns) {
  const auto refused = [&](const std::string& url, const std::string& ref, const std::string& subdir) {
    service::ProjectSpec spec;
    spec.git_url = url;
    spec.git_ref = ref;
    spec.git_subdir = subdir;
    spec.check = false;
    return refusal([&] { service_.add_project(spec); });
  };
  EXPECT_EQ(refused("ext::sh -c id", "", "").http_status(), 400);
  EXPECT_EQ(refused("fd::3", "", "").http_status(), 400);
  EXPECT_EQ(refused("ftp://host/x", "", "").http_status(), 400);
  EXPECT_EQ(refused("file:///x.git", "-x", "").http_status(), 400);
  EXPECT_EQ(refused("file:///x.git", "a..b", "").http_status(), 400);
  EXPECT_EQ(refused("file:///x.git", "", "/etc").http_status(), 400);
  EXPECT_EQ(refused("file:///x.git", "", "../x").http_status(), 400);
  service::ProjectSpec both;
  both.path = dbt_folder("shop");
  both.git_url = "file:///x.git";
  EXPECT_TRUE(says(refusal([&] { service_.add_project(both); }).what(), "not both"));
  service::ProjectSpec ref_alone;
  ref_alone.path = dbt_folder("shop");
  ref_alone.git_ref = "main";
  EXPECT_EQ(refusal([&] { service_.add_project(ref_alone); }).http_status(), 400);
}

TEST_F(ProjectsTest, APatchChangesTheRefAndRefusesAPathForAProjectFromGit) {
  service::ProjectSpec spec;
  spec.git_url = repo_with_project("shop");
  spec.git_subdir = "shop";
  spec.check = false;
  const auto p = service_.add_project(spec);
  service::ProjectPatch patch;
  patch.check = false;
  patch.git_ref = "main";
  EXPECT_EQ(service_.update_project(p.id, patch).git_ref, "main");
  patch.git_ref = "";
  EXPECT_EQ(service_.update_project(p.id, patch).git_ref, std::nullopt);
  patch.git_ref = "-x";
  EXPECT_EQ(refusal([&] { service_.update_project(p.id, patch); }).http_status(), 400);
  service::ProjectPatch path;
  path.check = false;
  path.path = dbt_folder("other");
  EXPECT_EQ(refusal([&] { service_.update_project(p.id, path); }).http_status(), 400);
}

TEST_F(ProjectsTest, ARetryRunsTheCommitOfTheRunItRetries) {
  service::ProjectSpec spec;
  spec.git_url = repo_with_project("shop");
  spec.git_subdir = "shop";
  spec.check = false;
  const auto p = service_.add_project(spec);
  const auto run = service_.trigger(p.id, "default", std::nullopt, "api");
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  ASSERT_TRUE(store_.runs().mark_running(run.id, dagctl::common::now()));
  store_.runs().record_git_commit(run.id, sha);
  ASSERT_TRUE(store_.runs().finish(run.id, RunStatus::failed, dagctl::common::now(), 1, std::nullopt, json::object()));
  const fs::path target = dagctl::common::DataDir(dir_.path().string()).run_target(run.id);
  fs::create_directories(target);
  std::ofstream(target / "run_results.json") << "{\"results\": []}";
  const auto retry = service_.retry_run(run.id);
  EXPECT_EQ(retry.git_commit, sha);
  EXPECT_EQ(service_.get_run(retry.id).git_commit, sha);
  EXPECT_EQ(service_.get_run(run.id).git_commit, sha);
}

TEST_F(ProjectsTest, AFolderProjectNeedsNothingMoreWhenTheStoreIsThisDaemonsOwn) {
  service::ProjectSpec spec;
  spec.path = dbt_folder("shop");
  spec.check = false;
  EXPECT_EQ(service_.add_project(spec).name, "shop");
}

TEST_F(SharedStoreTest, AFolderProjectIsRefusedUnlessItIsOnEveryDaemon) {
  service::ProjectSpec spec;
  spec.path = dbt_folder("shop");
  spec.check = false;
  const auto e = refusal([&] { service_.add_project(spec); });
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_TRUE(says(e.what(), "shares its store with other daemons")) << e.what();
  EXPECT_TRUE(says(e.what(), "--git URL")) << e.what();
  EXPECT_TRUE(says(e.what(), "--on-every-daemon")) << e.what();
  EXPECT_TRUE(service_.list_projects().empty());
  spec.on_every_daemon = true;
  EXPECT_EQ(service_.add_project(spec).name, "shop");
}

TEST_F(SharedStoreTest, AProjectFromGitNeedsNoFlag) {
  service::ProjectSpec spec;
  spec.git_url = repo_with_project("shop");
  spec.git_subdir = "shop";
  spec.check = false;
  EXPECT_EQ(service_.add_project(spec).name, "shop");
}

}  // namespace
