// Tests for cli/output: tables fitted to the terminal, times and names as tables show them,
// and reading the daemon's JSON without undefined behaviour (docs/cli.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/text_width.hpp"

namespace {

using nlohmann::json;
namespace cli = dagctl::cli;

const std::vector<std::vector<std::string>> kRuns = {
    {"RUN", "PROJECT", "JOB", "STATUS"},
    {"7490eda2-674", "analytics-warehouse", "nightly-full-refresh", "success"},
    {"edadfd47-a51", "shop", "default", "failed"},
};

TEST(CliOutput, AnUnboundedTableKeepsEveryValueWhole) {
  const auto lines = cli::fit_table(kRuns, {1, 2}, std::nullopt);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "RUN           PROJECT              JOB                   STATUS");
  EXPECT_EQ(lines[1], "7490eda2-674  analytics-warehouse  nightly-full-refresh  success");
  EXPECT_EQ(lines[2], "edadfd47-a51  shop                 default               failed");
}

TEST(CliOutput, ANarrowTerminalCutsTheWidestElasticColumnFirst) {
  const auto lines = cli::fit_table(kRuns, {1, 2}, 56);
  for (const auto& line : lines) EXPECT_LE(cli::display_width(line), 56) << line;
  EXPECT_EQ(lines[1], "7490eda2-674  analytics-ware…  nightly-full-re…  success");
  EXPECT_EQ(lines[2], "edadfd47-a51  shop             default           failed");
}

TEST(CliOutput, ColumnsShrinkNoFurtherThanTheirHeaders) {
  const auto lines = cli::fit_table(kRuns, {1, 2}, 10);
  EXPECT_EQ(lines[0], "RUN           PROJECT  JOB   STATUS");
  EXPECT_EQ(lines[1], "7490eda2-674  analyt…  nig…  success");  // wider than 10: the lines wrap
  // Without elastic columns nothing is cut.
  EXPECT_EQ(cli::fit_table(kRuns, {}, 10), cli::fit_table(kRuns, {}, std::nullopt));
}

TEST(CliOutput, WidthsCountCharactersNotBytes) {
  EXPECT_EQ(cli::display_width("café"), 4);
  const auto lines = cli::fit_table({{"NAME", "X"}, {"ünïcödé-name", "1"}}, {0}, 9);
  EXPECT_EQ(lines[1], "ünïcö…  1");
}

TEST(CliOutput, MissingKeysReadAsNull) {
  const json run = {{"id", "r1"}, {"exit_code", 0}};
  EXPECT_TRUE(cli::field(run, "nope").is_null());
  EXPECT_TRUE(cli::field(json("not an object"), "id").is_null());
  EXPECT_EQ(cli::text_field(run, "id"), "r1");
  EXPECT_EQ(cli::text_field(run, "exit_code"), "0");
  EXPECT_EQ(cli::text_field(run, "nope"), "-");
}

TEST(CliOutput, RecentTimesAreRelativeOlderOnesLocal) {
  const auto now = *dagctl::common::parse_rfc3339("2026-12-06T12:00:00Z");
  EXPECT_EQ(cli::format_when("2026-12-06T11:59:15Z", now), "45s ago");
  EXPECT_EQ(cli::format_when("2026-12-06T11:48:00.500Z", now), "11m ago");
  EXPECT_EQ(cli::format_when("2026-12-06T09:00:00Z", now), "3h ago");
  const char* saved = std::getenv("TZ");
  const std::string old_tz = saved ? saved : "";
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(cli::format_when("2026-12-04T14:02:00Z", now), "Dec 04 14:02");
  EXPECT_EQ(cli::format_when("2025-06-01T08:00:00Z", now), "2025-06-01");
  saved ? ::setenv("TZ", old_tz.c_str(), 1) : ::unsetenv("TZ");
  ::tzset();
  EXPECT_EQ(cli::format_when("not a time", now), "not a time");
  EXPECT_EQ(cli::format_when(nullptr, now), "-");
}

TEST(CliOutput, ADeletedJobIsNamedFromItsRunsName) {
  EXPECT_EQ(cli::run_job_label({{"job_current_name", "nightly"}, {"job_name", "old-manual-20261206-101010"}}),
            "nightly");
  EXPECT_EQ(cli::run_job_label({{"job_current_name", nullptr}, {"job_name", "nightly-manual-20261206-101010"},
                                {"triggered_by", "manual"}}),
            "nightly (deleted)");
  EXPECT_EQ(cli::run_job_label({{"job_current_name", nullptr}, {"job_name", "odd"}, {"triggered_by", "manual"}}),
            "odd (deleted)");
  // An older daemon sends no job_current_name: the run's name as it is.
  EXPECT_EQ(cli::run_job_label({{"job_name", "nightly-manual-20261206-101010"}}), "nightly-manual-20261206-101010");
  EXPECT_EQ(cli::short_id("7490eda2-674d-4ffa-972a-75f38dfcff6e"), "7490eda2-674");
}

}  // namespace
