// Tests for daemon/store/log_store: a run's log kept in the store for the other daemons
// sharing it, read back from any byte, fenced to the daemon running the run, and removed
// with the run (docs/scale-out.md#logs-and-artifacts).
#include "daemon/store/log_store.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_store_fixture.hpp"

namespace {

using nlohmann::json;
using namespace dagctl::test::store_tests;  // test_store_fixture.hpp
namespace store = dagctl::daemon::store;

class LogStore : public TwoDaemonsFixture {
protected:
  // A run of job "default", claimed by `by`.
  void start_run(const std::string& id, store::Store& by) {
    store().runs().insert(make_run(id, job("job-default")), 100);
    ASSERT_EQ(by.runs().claim(id, dagctl::common::now()), store::Claim::started);
  }
  void end_run(const std::string& id) {
    ASSERT_TRUE(store().runs().finish(id, RunStatus::success, dagctl::common::now(), 0, std::nullopt, json::object()));
  }
  store::Store& b() { return other(); }
};

TEST_F(LogStore, AnyDaemonReadsTheLogFromAnyByte) {
  start_run("r1", store());
  // Any byte: a NUL, invalid UTF-8, a line cut in two.
  const std::string first("12:00:01  Running with dbt\n\0\xff\xfe half a li", 38);
  const std::string second = "ne\n12:00:02  Done.\n";
  ASSERT_TRUE(store().logs().append("r1", 0, first));
  ASSERT_TRUE(store().logs().append("r1", first.size(), second));
  const std::string whole = first + second;

  // As a follower reads: from where the last read ended, until nothing comes.
  const auto read_all = [&](std::size_t from, std::size_t step) {
    std::string out;
    for (std::string part; !(part = b().logs().read("r1", from + out.size(), step)).empty();) out += part;
    return out;
  };
  for (std::size_t from = 0; from <= whole.size(); ++from) {
    for (const std::size_t step : {1u, 2u, 3u, 5u, 64u * 1024u}) {
      EXPECT_EQ(read_all(from, step), whole.substr(from)) << "from byte " << from << ", " << step << " at a time";
    }
  }
  EXPECT_EQ(b().logs().read("r1", 3, 5), whole.substr(3, 5)) << "at most max_bytes";
  EXPECT_EQ(b().logs().read("r1", first.size() - 2, 6), whole.substr(first.size() - 2, 2)) << "one range at a time";
  EXPECT_EQ(b().logs().read("r1", whole.size() + 100, 10), "") << "past the end: nothing yet";
  EXPECT_EQ(b().logs().read("unknown", 0, 10), "");
}

TEST_F(LogStore, ARetriedWriteThatGrewKeepsTheLongerRange) {
  start_run("r1", store());
  // The first write committed but its answer was lost; the retry read more of the file.
  ASSERT_TRUE(store().logs().append("r1", 0, "12:00:01  Running\n"));
  ASSERT_TRUE(store().logs().append("r1", 0, "12:00:01  Running\n12:00:02  Found 3 models\n"));
  ASSERT_TRUE(store().logs().append("r1", 0, "12:00:01  Running\n")) << "a shorter retry changes nothing";
  ASSERT_TRUE(store().logs().append("r1", 43, "12:00:03  Done.\n"));
  std::string all;
  for (std::string part; !(part = b().logs().read("r1", all.size(), 1024)).empty();) all += part;
  EXPECT_EQ(all, "12:00:01  Running\n12:00:02  Found 3 models\n12:00:03  Done.\n") << "no gap after byte 18";
}

TEST_F(LogStore, OnlyTheDaemonRunningTheRunWritesItsLog) {
  start_run("r1", store());
  EXPECT_FALSE(b().logs().append("r1", 0, "not mine\n")) << "another daemon's run";
  EXPECT_TRUE(store().logs().append("r1", 0, "mine\n"));
  // A write retried after its commit went unseen, no longer: the stored range stays.
  EXPECT_TRUE(store().logs().append("r1", 0, "MINE\n"));
  end_run("r1");
  EXPECT_FALSE(store().logs().append("r1", 5, "after the end\n")) << "an ended run";
  EXPECT_FALSE(store().logs().append("unknown", 0, "x"));
  EXPECT_EQ(b().logs().read("r1", 0, 100), "mine\n");
}

TEST_F(LogStore, PrunedRunsTakeTheirLogs) {
  start_run("r1", store());
  ASSERT_TRUE(store().logs().append("r1", 0, "old run\n"));
  end_run("r1");
  start_run("r2", store());
  end_run("r2");
  ASSERT_EQ(store().runs().prune(std::nullopt, 1, 100), std::vector<std::string>{"r1"});
  EXPECT_EQ(b().logs().read("r1", 0, 100), "");
}

}  // namespace
