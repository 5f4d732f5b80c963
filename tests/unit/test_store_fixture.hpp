// What the store's tests (test_daemon_store_*.cpp) share: sample rows, and a fixture with a
// fresh database in a temporary folder.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/store.hpp"
#include "test_util.hpp"

namespace dagctl::test::store_tests {

using common::RunStatus;
using daemon::store::Job;
using daemon::store::Project;
using daemon::store::Run;
using daemon::store::RunFilter;
using daemon::store::StoreError;

inline common::TimePoint at(std::int64_t ms) { return common::from_millis(ms); }

inline Project make_project(const std::string& id, const std::string& name, const std::string& org_id) {
  Project p;
  p.id = id;
  p.org_id = org_id;
  p.name = name;
  p.path = "/home/ana/projects/" + name;
  p.created_at = at(1'775'131'200'000);
  return p;
}

inline Job make_job(const std::string& id, const std::string& project_id, const std::string& name = "default") {
  Job j;
  j.id = id;
  j.project_id = project_id;
  j.name = name;
  j.created_at = at(1'775'131'200'000);
  j.updated_at = j.created_at;
  return j;
}

inline Run make_run(const std::string& id, const Job& job) {
  Run r;
  r.id = id;
  r.job_id = job.id;
  r.project_id = job.project_id;
  r.job_name = job.name;
  r.status = RunStatus::queued;
  r.command = job.command;
  r.created_at = common::now();
  return r;
}

inline std::vector<std::string> ids(const std::vector<Run>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.id);
  return out;
}

// A store on a new database; each test's fixture derives from it, named after its store.
class StoreFixture : public ::testing::Test {
protected:
  void SetUp() override { open(); }
  void open() {
    store_.reset();
    store_.emplace(db_path());
  }
  void close() { store_.reset(); }
  std::string db_path() const { return (dir_.path() / "dagctl.db").string(); }
  daemon::store::Store& store() { return *store_; }

  // Project "shop" with jobs "default" and "nightly".
  void add_shop() {
    org_ = store().projects().default_organization().id;
    store().projects().create(make_project("prj-shop", "shop", org_),
                              {make_job("job-default", "prj-shop"), make_job("job-nightly", "prj-shop", "nightly")});
  }
  Job job(const std::string& id) { return *store().jobs().find(id); }

  TempDir dir_;
  std::optional<daemon::store::Store> store_;
  std::string org_;
};

// Two daemons on one database (docs/runs.md, Several daemons): store() acts for "dmn_a",
// other() for "dmn_b", both on the same SQLite file; project "shop" exists.
class TwoDaemonsFixture : public StoreFixture {
protected:
  void SetUp() override {
    StoreFixture::SetUp();
    store().set_owner({"dmn_a", std::chrono::seconds(30), 0});
    other_.emplace(db_path());
    other_->set_owner({"dmn_b", std::chrono::seconds(30), 0});
    add_shop();
  }
  daemon::store::Store& other() { return *other_; }

  std::optional<daemon::store::Store> other_;
};

}  // namespace dagctl::test::store_tests
