// Tests for cli/daemon_lines: what `dagctl status` says of the daemons sharing the store
// (docs/cli.md, docs/runs.md "Several daemons").
#include "cli/daemon_lines.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;

json peer(const std::string& id, double age, int running, bool lost, bool self) {
  return {{"id", id}, {"host", "etl-1"}, {"pid", 9872}, {"version", "0.1.0"}, {"api", nullptr},
          {"heartbeat_age_seconds", age}, {"running", running}, {"lost", lost}, {"this", self}};
}

TEST(CliDaemonLines, ADaemonAloneSaysNothing) {
  EXPECT_TRUE(dagctl::cli::daemons_status_lines(json::object()).empty()) << "an older dagctld";
  EXPECT_TRUE(dagctl::cli::daemons_status_lines({{"daemons", json::array({peer("dmn_a", 1, 0, false, true)})}}).empty());
}

TEST(CliDaemonLines, SeveralDaemonsAreListedWithTheLostAndThisOneMarked) {
  const json d = {{"lease_seconds", 30},
                  {"daemons", json::array({peer("dmn_a", 2.7, 1, false, true), peer("dmn_b", 95, 0, true, false)})}};
  const auto lines = dagctl::cli::daemons_status_lines(d);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "daemons:  2 share the database (lease 30s)");
  EXPECT_EQ(lines[1], "  dmn_a  etl-1  pid 9872  0.1.0  heartbeat 2s ago  1 running  (this daemon)");
  EXPECT_EQ(lines[2], "  dmn_b  etl-1  pid 9872  0.1.0  heartbeat 95s ago  0 running  LOST");
}

}  // namespace
