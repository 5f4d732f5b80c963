// Tests for daemon/store/project_store: the organization and projects.
#include "daemon/store/project_store.hpp"

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

class ProjectStore : public StoreFixture {};

TEST_F(ProjectStore, DefaultOrganizationIsCreatedOnceAndStableAcrossReopen) {
  const auto org = store().projects().default_organization();
  ASSERT_EQ(org.id.size(), 4u + 12u) << org.id;
  EXPECT_EQ(org.id.rfind("org-", 0), 0u) << org.id;
  EXPECT_TRUE(std::all_of(org.id.begin() + 4, org.id.end(),
                          [](unsigned char c) { return std::isalnum(c) != 0; }))
      << org.id;
  EXPECT_FALSE(org.name.empty());
  EXPECT_EQ(store().projects().default_organization().id, org.id);
  open();
  const auto again = store().projects().default_organization();
  EXPECT_EQ(again.id, org.id);
  EXPECT_EQ(again.name, org.name);
}

TEST_F(ProjectStore, DefaultOrganizationDiffersBetweenDataDirs) {
  TempDir other;
  store::Store second((other.path() / "dagctl.db").string());
  EXPECT_NE(second.projects().default_organization().id, store().projects().default_organization().id);
}

TEST_F(ProjectStore, CreatedProjectIsFoundByIdAndByName) {
  org_ = store().projects().default_organization().id;
  Project p = make_project("prj-1", "shop", org_);
  p.profiles_dir = "/home/ana/.dbt";
  p.target = "prod";
  p.executable = "/opt/dbt/bin/dbt";
  p.env = {{"DBT_ENV_SECRET_PW", "s3cret"}, {"REGION", "eu-west-1"}};
  store().projects().create(p, {make_job("job-1", "prj-1")});

  for (const auto* key : {"prj-1", "shop"}) {
    const auto found = store().projects().find(key);
    ASSERT_TRUE(found.has_value()) << key;
    EXPECT_EQ(found->id, "prj-1");
    EXPECT_EQ(found->org_id, org_);
    EXPECT_EQ(found->name, "shop");
    EXPECT_EQ(found->type, "dbt");
    EXPECT_EQ(found->path, "/home/ana/projects/shop");
    EXPECT_EQ(found->profiles_dir, "/home/ana/.dbt");
    EXPECT_EQ(found->target, "prod");
    EXPECT_EQ(found->executable, "/opt/dbt/bin/dbt");
    EXPECT_EQ(found->env, p.env);
    EXPECT_TRUE(found->warm);
    EXPECT_EQ(found->created_at, p.created_at);
  }
  EXPECT_FALSE(store().projects().find("nope").has_value());

  const auto jobs = store().jobs().list(std::string("prj-1"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "default");
  EXPECT_EQ(jobs[0].command, "dbt build");
  ASSERT_EQ(store().projects().list().size(), 1u);
}

TEST_F(ProjectStore, WarmIsStoredAndUpdated) {
  org_ = store().projects().default_organization().id;
  Project p = make_project("prj-1", "shop", org_);
  p.warm = false;
  store().projects().create(p, {make_job("job-1", "prj-1")});
  EXPECT_FALSE(store().projects().find("shop")->warm);
  EXPECT_TRUE(store().projects().update("prj-1", [](Project& q) { q.warm = true; }).warm);
  EXPECT_TRUE(store().projects().find("shop")->warm);
  store().projects().update("prj-1", [](Project& q) { q.warm = false; });
  EXPECT_FALSE(store().projects().list().at(0).warm);
}

TEST_F(ProjectStore, FindProjectPrefersAnIdOverAnotherProjectsName) {
  org_ = store().projects().default_organization().id;
  store().projects().create(make_project("prj-a", "x", org_), {make_job("job-a", "prj-a")});
  store().projects().create(make_project("x-id", "prj-a", org_), {make_job("job-b", "x-id")});
  // "prj-a" is the id of the first project and the name of the second.
  EXPECT_EQ(store().projects().find("prj-a")->id, "prj-a");
  EXPECT_EQ(store().projects().find("x")->id, "prj-a");
}

TEST_F(ProjectStore, DuplicateProjectNameIsAConflictAndAddsNothing) {
  add_shop();
  try {
    store().projects().create(make_project("prj-other", "shop", org_), {make_job("job-other", "prj-other")});
    FAIL() << "a second project named shop was accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
    EXPECT_NE(std::string(e.what()).find("shop"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store().projects().find("prj-other").has_value());
  EXPECT_FALSE(store().jobs().find("job-other").has_value());
  EXPECT_EQ(store().projects().list().size(), 1u);
  EXPECT_EQ(store().projects().find("shop")->id, "prj-shop");
}

TEST_F(ProjectStore, ProjectWithActiveRunsCannotBeDeleted) {
  add_shop();
  store().runs().insert(make_run("r1", job("job-default")), 10);
  try {
    store().projects().remove("prj-shop");
    FAIL() << "deleted a project with a queued run";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
  }
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "x",
                                    json::object()));
  store().projects().remove("prj-shop");
  EXPECT_FALSE(store().projects().find("shop").has_value());
  EXPECT_FALSE(store().runs().find("r1").has_value()) << "its runs go with it";
  try {
    store().projects().remove("prj-shop");
    FAIL() << "deleted a missing project";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::not_found);
  }
}

}  // namespace
