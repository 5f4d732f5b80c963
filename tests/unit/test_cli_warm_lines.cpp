// Tests for cli/warm_lines: what `dagctl status` and `dagctl doctor` say of warm dbt
// workers (docs/cli.md), fitted to 80 and 40 columns.
#include "cli/warm_lines.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/text_width.hpp"

namespace {

using nlohmann::json;
namespace cli = dagctl::cli;

json worker(const std::string& id, const std::string& name, const std::string& state, json reason, int pid,
            long long rss, json version, long long runs) {
  return {{"project_id", id},   {"project", name},         {"state", state}, {"reason", reason},
          {"pid", pid},         {"rss_bytes", rss},        {"dbt_version", version},
          {"runs", runs},       {"started_at", nullptr},   {"last_used_at", nullptr}};
}

// GET /api/v1/daemon as the daemon answers it, but for its warm workers (docs/api.md).
json daemon(const std::string& mode = "on") {
  return {{"version", "0.1.0"},
          {"warm",
           {{"mode", mode},
            {"idle_seconds", 300},
            {"workers",
             json::array({worker("p-1", "shop", "ready", nullptr, 12345, 87031808LL, "1.11.16", 12),
                          worker("p-2", "fake", "cold", "dbt is not a Python dbt-core (import failed)", 0, 0, nullptr, 0),
                          worker("p-3", "a_project_with_a_name_far_longer_than_most", "starting", nullptr, 777, 0,
                                 nullptr, 0)})}}}};
}

TEST(CliWarmLines, IdleTimesUseTheLargestExactUnit) {
  EXPECT_EQ(cli::idle_text(300), "5m");
  EXPECT_EQ(cli::idle_text(90), "90s");
  EXPECT_EQ(cli::idle_text(7200), "2h");
  EXPECT_EQ(cli::idle_text(86400), "1d");
  EXPECT_EQ(cli::idle_text(1), "1s");
}

TEST(CliWarmLines, StatusSaysTheModeThenOneLinePerWorker) {
  const auto lines = cli::warm_status_lines(daemon(), std::nullopt);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "warm:     on (idle exit after 5m)");
  EXPECT_EQ(lines[1], "  shop                      ready     pid 12345  83 MiB  dbt 1.11.16  12 runs");
  EXPECT_EQ(lines[2], "  fake                      cold      dbt is not a Python dbt-core (import failed)");
  EXPECT_EQ(lines[3], "  a_project_with_a_name_f…  starting  pid 777  0 runs");
}

TEST(CliWarmLines, StatusLinesFitEightyAndFortyColumns) {
  for (const size_t width : {80u, 40u}) {
    const auto lines = cli::warm_status_lines(daemon(), width);
    ASSERT_EQ(lines.size(), 4u);
    for (const auto& line : lines) EXPECT_LE(cli::display_width(line), static_cast<int>(width)) << line;
  }
  const auto at80 = cli::warm_status_lines(daemon(), 80);
  EXPECT_EQ(at80[1], "  shop                      ready     pid 12345  83 MiB  dbt 1.11.16  12 runs");
  EXPECT_EQ(at80[2], "  fake                      cold      dbt is not a Python dbt-core (import fail…");
  const auto at40 = cli::warm_status_lines(daemon(), 40);
  EXPECT_EQ(at40[0], "warm:     on (idle exit after 5m)");
  EXPECT_EQ(at40[1], "  shop                      ready     p…");
}

TEST(CliWarmLines, StatusWithWarmOffOrNoWorkersOrAnOlderDaemon) {
  auto d = daemon("off");
  d["warm"]["workers"] = json::array();
  EXPECT_EQ(cli::warm_status_lines(d, 80), (std::vector<std::string>{"warm:     off (--warm off)"}));
  d["warm"]["mode"] = "on";
  d["warm"]["idle_seconds"] = 90;
  EXPECT_EQ(cli::warm_status_lines(d, std::nullopt), (std::vector<std::string>{"warm:     on (idle exit after 90s)"}));
  EXPECT_TRUE(cli::warm_status_lines(json{{"version", "0.0.9"}}, 80).empty());
  EXPECT_TRUE(cli::warm_status_lines(json{{"warm", "garbage"}}, 80).empty());
}

TEST(CliWarmLines, DoctorSaysWarmOrColdAndWhyPerProject) {
  const auto d = daemon();
  const auto ready = cli::warm_finding(d, {{"id", "p-1"}, {"name", "shop"}, {"warm", true}});
  ASSERT_TRUE(ready);
  EXPECT_FALSE(ready->warn);
  EXPECT_EQ(ready->detail, "warm: ready, pid 12345, 83 MiB, dbt 1.11.16, 12 runs");
  const auto cold = cli::warm_finding(d, {{"id", "p-2"}, {"name", "fake"}, {"warm", true}});
  ASSERT_TRUE(cold);
  EXPECT_TRUE(cold->warn);
  EXPECT_EQ(cold->detail, "cold: dbt is not a Python dbt-core (import failed); runs start a fresh dbt");
  const auto absent = cli::warm_finding(d, {{"id", "p-9"}, {"name", "new"}, {"warm", true}});
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->detail, "no worker yet: starts at its first run");
  const auto off = cli::warm_finding(d, {{"id", "p-1"}, {"name", "shop"}, {"warm", false}});
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->warn);
  EXPECT_EQ(off->detail, "cold: off for this project (dagctl project update shop --warm on)");
  EXPECT_EQ(cli::warm_finding(daemon("off"), {{"id", "p-1"}, {"name", "shop"}})->detail, "cold: dagctld --warm off");
  EXPECT_FALSE(cli::warm_finding(json{{"version", "0.0.9"}}, {{"id", "p-1"}}).has_value());
  // Warm workers run dbt: doctor says nothing of them for a SQLMesh project.
  EXPECT_FALSE(cli::warm_finding(d, {{"id", "p-3"}, {"name", "bakery"}, {"type", "sqlmesh"}, {"warm", false}}).has_value());
}

TEST(CliWarmLines, DoctorLinesWrapWithinEightyAndFortyColumns) {
  // doctor prints "ok    NAME: DETAIL" wrapped at spaces to the width less its 6-column label.
  const auto cold = cli::warm_finding(daemon(), {{"id", "p-2"}, {"name", "fake"}});
  for (const int width : {80, 40}) {
    const auto lines = cli::wrap_words("fake: warm worker: " + cold->detail, width - 6, "", "  ");
    EXPECT_GE(lines.size(), width == 80 ? 2u : 3u);
    for (const auto& line : lines) EXPECT_LE(cli::display_width(line) + 6, width) << line;
  }
}

}  // namespace
