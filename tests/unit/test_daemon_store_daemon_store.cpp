// Tests for several daemons on one database (docs/runs.md, Several daemons): two
// store::Store on one SQLite file act as two daemons on one database. Claims, one running run
// per project across them, the system's limit, fencing, leases, the reaper's end and a cancel
// asked at the other daemon; and daemon_store's registry.
#include "daemon/store/daemon_store.hpp"
#include "daemon/store/live_twin.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test_store_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace store = dagctl::daemon::store;
using store::Claim;
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp

store::Delivery delivery_for(const Run& run, const std::string& id) {
  store::Delivery d;
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

class SeveralDaemons : public TwoDaemonsFixture {
protected:
  void SetUp() override {
    TwoDaemonsFixture::SetUp();
    store().projects().create(make_project("prj-web", "web", org_), {make_job("job-web", "prj-web")});
    store().projects().create(make_project("prj-ops", "ops", org_), {make_job("job-ops", "prj-ops")});
  }
  store::Store& a() { return store(); }
  store::Store& b() { return other(); }
  void queue(const std::string& id, const std::string& job_id) { a().runs().insert(make_run(id, job(job_id)), 100); }
};

TEST_F(SeveralDaemons, OnlyOneDaemonClaimsARun) {
  queue("r1", "job-default");
  EXPECT_EQ(a().runs().claim("r1", dagctl::common::now()), Claim::started);
  EXPECT_EQ(b().runs().claim("r1", dagctl::common::now()), Claim::gone);
  EXPECT_EQ(b().runs().find("r1")->daemon_id, "dmn_a");
}

TEST_F(SeveralDaemons, OneRunningRunPerProjectAcrossDaemons) {
  queue("r1", "job-default");
  queue("r2", "job-nightly");  // the same project
  queue("w1", "job-web");
  ASSERT_EQ(a().runs().claim("r1", dagctl::common::now()), Claim::started);
  EXPECT_EQ(b().runs().claim("r2", dagctl::common::now()), Claim::project_busy);
  EXPECT_EQ(to_string(b().runs().find("r2")->status), "queued");
  EXPECT_EQ(b().runs().claim("w1", dagctl::common::now()), Claim::started) << "another project is free";
  ASSERT_TRUE(a().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_EQ(b().runs().claim("r2", dagctl::common::now()), Claim::started);
}

TEST_F(SeveralDaemons, TheSystemLimitCountsEveryDaemonsRuns) {
  a().set_owner({"dmn_a", 30s, 2});
  b().set_owner({"dmn_b", 30s, 2});
  queue("r1", "job-default");
  queue("w1", "job-web");
  queue("o1", "job-ops");
  ASSERT_EQ(a().runs().claim("r1", dagctl::common::now()), Claim::started);
  ASSERT_EQ(b().runs().claim("w1", dagctl::common::now()), Claim::started);
  EXPECT_EQ(a().runs().claim("o1", dagctl::common::now()), Claim::system_full);
  EXPECT_EQ(b().runs().claim("o1", dagctl::common::now()), Claim::system_full);
  ASSERT_TRUE(b().runs().finish("w1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_EQ(a().runs().claim("o1", dagctl::common::now()), Claim::started);
}

TEST_F(SeveralDaemons, OnlyTheOwnerWritesARunningRun) {
  queue("r1", "job-default");
  ASSERT_EQ(a().runs().claim("r1", dagctl::common::now()), Claim::started);
  EXPECT_FALSE(b().runs().finish("r1", RunStatus::failed, dagctl::common::now(), 1, "x", json::object()));
  b().runs().record_process("r1", 4242, 1);
  EXPECT_EQ(a().runs().find("r1")->pid, 0) << "fenced";
  dagctl::daemon::store::NodeRecord node;
  node.unique_id = "model.shop.a";
  node.name = "a";
  node.resource_type = "model";
  node.status = "running";
  b().nodes().upsert("r1", {node});
  EXPECT_TRUE(a().nodes().list("r1").empty()) << "fenced";
  a().nodes().upsert("r1", {node});
  EXPECT_EQ(a().nodes().list("r1").size(), 1u);
  a().runs().record_process("r1", 4242, 1);
  EXPECT_EQ(a().runs().find("r1")->pid, 4242);
  EXPECT_TRUE(a().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_FALSE(a().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
}

TEST_F(SeveralDaemons, RenewingFindsTheRunsNoLongerOwned) {
  queue("r1", "job-default");
  queue("w1", "job-web");
  ASSERT_EQ(a().runs().claim("r1", dagctl::common::now()), Claim::started);
  ASSERT_EQ(b().runs().claim("w1", dagctl::common::now()), Claim::started);
  EXPECT_TRUE(a().runs().renew_leases({"r1"}, dagctl::common::now() + 30s).empty());
  EXPECT_EQ(a().runs().renew_leases({"r1", "w1"}, dagctl::common::now() + 30s), std::vector<std::string>{"w1"});
}

TEST_F(SeveralDaemons, TheReaperEndsALostDaemonsRunWithItsWebhookOwed) {
  queue("r1", "job-default");
  queue("r2", "job-nightly");
  const auto start = dagctl::common::now() - 60s;
  ASSERT_EQ(a().runs().claim("r1", start), Claim::started);  // its lease ended 30 s ago
  b().daemons().register_daemon({"dmn_b", "host-b", 2, "0.1.0", "", start, start, std::nullopt, 0});
  a().daemons().register_daemon({"dmn_a", "host-a", 1, "0.1.0", "", start, start, std::nullopt, 0});

  EXPECT_TRUE(a().runs().expired(dagctl::common::now()).empty()) << "a daemon never reaps its own runs";
  const auto lost = b().runs().expired(dagctl::common::now());
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].run.id, "r1");
  EXPECT_EQ(lost[0].daemon_id, "dmn_a");
  EXPECT_EQ(lost[0].host, "host-a");
  int asked = 0;
  const auto owed = [&](const store::Run& ended) -> std::vector<store::Delivery> {
    ++asked;
    EXPECT_EQ(to_string(ended.status), "error");
    return {delivery_for(ended, "dlv-lost")};
  };
  ASSERT_TRUE(b().runs().end_lost(lost[0], dagctl::common::now(), "daemon lost: dmn_a on host-a stopped renewing its lease", owed));
  EXPECT_FALSE(b().runs().end_lost(lost[0], dagctl::common::now(), "again", owed)) << "nothing owed twice";
  EXPECT_EQ(asked, 1);
  const auto r1 = a().runs().find("r1");
  EXPECT_EQ(to_string(r1->status), "error");
  EXPECT_EQ(r1->error_message, "daemon lost: dmn_a on host-a stopped renewing its lease");
  EXPECT_TRUE(b().deliveries().find("dlv-lost").has_value());
  // The old owner comes back: its end is refused, its renewal says the run is lost.
  EXPECT_FALSE(a().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_EQ(a().runs().renew_leases({"r1"}, dagctl::common::now() + 30s), std::vector<std::string>{"r1"});
  // The project's queue moves on.
  EXPECT_EQ(b().runs().claim("r2", dagctl::common::now()), Claim::started);
}

TEST_F(SeveralDaemons, ARenewedLeaseIsNotReaped) {
  queue("r1", "job-default");
  const auto start = dagctl::common::now() - 60s;
  ASSERT_EQ(a().runs().claim("r1", start), Claim::started);
  const auto lost = b().runs().expired(dagctl::common::now());
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].host, "") << "never registered";
  ASSERT_TRUE(a().runs().renew_leases({"r1"}, dagctl::common::now() + 30s).empty());
  EXPECT_FALSE(b().runs().end_lost(lost[0], dagctl::common::now(), "daemon lost", {})) << "renewed meanwhile";
  EXPECT_EQ(to_string(a().runs().find("r1")->status), "running");
}

TEST_F(SeveralDaemons, ACancelAskedAtTheOtherDaemonReachesTheOwner) {
  queue("r1", "job-default");
  queue("w1", "job-web");
  ASSERT_EQ(a().runs().claim("r1", dagctl::common::now()), Claim::started);
  EXPECT_TRUE(a().runs().cancel_requested().empty());
  EXPECT_TRUE(b().runs().request_cancel("r1", dagctl::common::now()));
  EXPECT_FALSE(b().runs().request_cancel("w1", dagctl::common::now())) << "queued: not running anywhere";
  EXPECT_EQ(a().runs().cancel_requested(), std::vector<std::string>{"r1"});
  EXPECT_TRUE(b().runs().cancel_requested().empty()) << "not b's run";
  ASSERT_TRUE(a().runs().finish("r1", RunStatus::cancelled, dagctl::common::now(), std::nullopt, "cancelled",
                                json::object()));
  EXPECT_TRUE(a().runs().cancel_requested().empty());
}

TEST_F(SeveralDaemons, DaemonsRegisterBeatAndStop) {
  const auto t0 = at(1'775'131'200'000);
  a().daemons().register_daemon({"dmn_a", "host-a", 11, "0.1.0", "127.0.0.1:8780", t0, t0, std::nullopt, 0});
  b().daemons().register_daemon({"dmn_b", "host-b", 22, "0.1.0", "", t0 + 1s, t0 + 1s, std::nullopt, 0, 3s});
  queue("r1", "job-default");
  ASSERT_EQ(b().runs().claim("r1", dagctl::common::now()), Claim::started);
  a().daemons().heartbeat("dmn_a", t0 + 5s);
  auto list = b().daemons().list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "dmn_a");
  EXPECT_EQ(list[0].heartbeat_at, t0 + 5s);
  EXPECT_EQ(list[0].api, "127.0.0.1:8780");
  EXPECT_EQ(list[0].running, 0);
  EXPECT_EQ(list[1].running, 1);
  EXPECT_EQ(list[0].lease, 30s);
  EXPECT_EQ(list[1].lease, 3s) << "each daemon's own lease, by which the others judge it lost";
  a().daemons().mark_stopped("dmn_a", t0 + 6s);
  list = b().daemons().list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, "dmn_b");
  // Started again on its data dir: registered anew.
  a().daemons().register_daemon({"dmn_a", "host-a", 33, "0.1.0", "", t0 + 7s, t0 + 7s, std::nullopt, 0});
  EXPECT_EQ(b().daemons().list().size(), 2u);
}

// A copied data dir (or image) brings its daemon-id: the copy must not take the live
// daemon's runs for its own dead ones (end them, stop their dbt).
TEST(LiveTwin, RefusesAnIdInUseByALiveDaemonOnly) {
  const auto t0 = at(1'775'131'200'000);
  const std::vector<store::DaemonRecord> rows = {
      {"dmn_a", "host-a", 11, "0.1.0", "", t0, t0 + 10s, std::nullopt, 1}};
  const auto alive = [](std::int64_t) { return true; };
  const auto dead = [](std::int64_t) { return false; };
  // Another host, heartbeat 2s ago: refused, saying who and what to do.
  const auto why = store::live_twin(rows, "dmn_a", "host-b", 11, t0 + 12s, 30s, dead);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("pid 11 on host-a"), std::string::npos) << *why;
  EXPECT_NE(why->find("daemon-id"), std::string::npos) << *why;
  // This host, another dagctld alive at that pid: refused; the pid dead or reused: a restart.
  EXPECT_TRUE(store::live_twin(rows, "dmn_a", "host-a", 99, t0 + 12s, 30s, alive));
  EXPECT_FALSE(store::live_twin(rows, "dmn_a", "host-a", 99, t0 + 12s, 30s, dead));
  EXPECT_FALSE(store::live_twin(rows, "dmn_a", "host-a", 11, t0 + 12s, 30s, alive));
  // Its heartbeat older than a lease, another id, or stopped: free.
  EXPECT_FALSE(store::live_twin(rows, "dmn_a", "host-b", 11, t0 + 40s, 30s, alive));
  EXPECT_FALSE(store::live_twin(rows, "dmn_b", "host-b", 11, t0 + 12s, 30s, alive));
  auto stopped = rows;
  stopped[0].stopped_at = t0 + 11s;
  EXPECT_FALSE(store::live_twin(stopped, "dmn_a", "host-b", 11, t0 + 12s, 30s, alive));
}

}  // namespace
