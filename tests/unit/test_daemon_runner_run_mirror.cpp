// Tests for daemon/runner/run_mirror: the log and progress of a run running here reach the
// store while it runs, all of the log before its end is written, at most kMaxStoredLogBytes
// of it, and nothing once the run is another daemon's (docs/scale-out.md#logs-and-artifacts).
#include "daemon/runner/run_mirror.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

#include "common/data_dir.hpp"
#include "test_store_fixture.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp
using dagctl::daemon::runner::kMaxStoredLogBytes;
using dagctl::daemon::runner::Phase;
using dagctl::daemon::runner::Progress;
using dagctl::daemon::runner::RunMirror;
namespace store = dagctl::daemon::store;

class RunMirrorTest : public StoreFixture {
protected:
  void SetUp() override {
    StoreFixture::SetUp();
    store().set_owner({"dmn_a", 30s, 0});
    add_shop();
    store().runs().insert(make_run("r1", job("job-default")), 100);
    ASSERT_EQ(store().runs().claim("r1", dagctl::common::now()), store::Claim::started);
    std::filesystem::create_directories(layout().run("r1"));
  }
  dagctl::common::DataDir layout() const { return dagctl::common::DataDir(dir_.path().string()); }
  void write(const std::string& text) {
    std::ofstream(layout().run_log("r1"), std::ios::app | std::ios::binary) << text;
  }
  // All of it, as a follower reads it: a part at a time.
  std::string stored() {
    std::string all;
    for (std::string part; !(part = store().logs().read("r1", all.size(), 1 << 20)).empty();) all += part;
    return all;
  }
};

TEST_F(RunMirrorTest, TheLogReachesTheStoreWhileTheRunRunsAndAllOfItBeforeItsEnd) {
  RunMirror shipper(store(), dir_.path().string(), nullptr, 10ms);
  shipper.start();
  shipper.track("r1");
  write("12:00:01  Running with dbt=1.11\n");
  EXPECT_TRUE(dagctl::test::eventually([&] { return stored() == "12:00:01  Running with dbt=1.11\n"; }));
  write("12:00:02  1 of 3 START sql table model main.a\n");
  EXPECT_TRUE(dagctl::test::eventually([&] { return stored().size() > 40; }));
  shipper.stop();  // no pass runs from here on: finish() alone ships the rest
  write("12:00:03  Completed successfully\n");
  shipper.finish("r1");
  EXPECT_EQ(stored(),
            "12:00:01  Running with dbt=1.11\n12:00:02  1 of 3 START sql table model main.a\n"
            "12:00:03  Completed successfully\n");
  write("after its end, not tracked\n");
  shipper.finish("r1");
  EXPECT_EQ(stored().find("after"), std::string::npos);
}

TEST_F(RunMirrorTest, TheStoreKeepsTheFirst32MiBAndSaysWhereTheRestIs) {
  RunMirror shipper(store(), dir_.path().string(), nullptr);
  shipper.track("r1");
  const std::string line(1023, 'x');
  {
    std::ofstream out(layout().run_log("r1"), std::ios::binary);
    for (std::uint64_t i = 0; i < kMaxStoredLogBytes / 1024 + 100; ++i) out << line << '\n';
  }
  shipper.finish("r1");
  const std::string log = stored();
  ASSERT_GT(log.size(), kMaxStoredLogBytes);
  EXPECT_EQ(log.substr(0, 1024), line + "\n");
  EXPECT_NE(log.substr(kMaxStoredLogBytes).find("the rest is in output.log on the daemon that ran it"),
            std::string::npos);
  EXPECT_LT(log.size(), kMaxStoredLogBytes + 1024);
}

TEST_F(RunMirrorTest, NothingIsWrittenForARunThatIsNoLongerThisDaemons) {
  RunMirror shipper(store(), dir_.path().string(), nullptr);
  shipper.track("r1");
  write("before the reaper\n");
  // Another daemon's reaper ended it meanwhile ("daemon lost").
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::error, dagctl::common::now(), std::nullopt,
                                    std::string("daemon lost"), json::object()));
  EXPECT_NO_THROW(shipper.finish("r1"));
  EXPECT_EQ(stored(), "");
}

TEST_F(RunMirrorTest, TheProgressReachesTheStoreWhenItChanges) {
  std::mutex mutex;
  Progress now;
  now.phase = Phase::running;
  now.done = 3;
  now.total = 12;
  now.running.push_back({"model.shop.stg_orders", "stg_orders", "model", at(1'775'131'201'000)});
  RunMirror mirror(store(), dir_.path().string(), [&](const std::string&) {
    std::lock_guard lock(mutex);
    return std::optional<Progress>(now);
  }, 10ms);
  mirror.start();
  mirror.track("r1");
  const auto stored = [&]() -> std::optional<Progress> {
    const auto run = store().runs().find("r1");
    return run->progress_json ? dagctl::daemon::runner::progress_from_stored(*run->progress_json) : std::nullopt;
  };
  ASSERT_TRUE(dagctl::test::eventually([&] { return stored() == now; }));
  {
    std::lock_guard lock(mutex);
    now.done = 4;
    now.running.clear();
  }
  EXPECT_TRUE(dagctl::test::eventually([&] { return stored() && stored()->done == 4 && stored()->running.empty(); }));
  mirror.finish("r1");
  ASSERT_TRUE(store().runs().finish("r1", RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  EXPECT_FALSE(store().runs().find("r1")->progress_json) << "an ended run keeps no progress";
}

TEST(StoredProgress, ReadsBackWhatItWroteAndRefusesTheRest) {
  Progress p;
  p.phase = Phase::parsing;
  EXPECT_EQ(dagctl::daemon::runner::progress_from_stored(dagctl::daemon::runner::to_stored(p)), p);
  for (const char* bad : {"", "null", "[]", "{}", R"({"phase":"queued","done":0,"total":0,"running":[]})",
                          R"({"phase":"running","done":"x","total":0,"running":[]})",
                          R"({"phase":"running","done":1,"total":2,"running":[{"name":"a"}]})"}) {
    EXPECT_FALSE(dagctl::daemon::runner::progress_from_stored(bad)) << bad;
  }
}

}  // namespace
