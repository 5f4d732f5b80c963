// Tests for cli/plan_lines: a SQLMesh plan's summary as `dagctl run show` prints it
// (docs/sqlmesh.md, Plans): labels in order, five names at most, junk ignored.
#include "cli/plan_lines.hpp"
#include "cli/text_width.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;
using dagctl::cli::plan_lines;
using Lines = std::vector<std::pair<std::string, std::string>>;

TEST(PlanLines, NoPlanIsNoLines) {
  EXPECT_TRUE(plan_lines(json(nullptr)).empty());
  EXPECT_TRUE(plan_lines(json::array()).empty());
  EXPECT_TRUE(plan_lines(json("plan")).empty());
}

TEST(PlanLines, AFullPlanIsOneLineForEachKindInOrder) {
  const json plan = {{"environment", "prod"},
                     {"applied", true},
                     {"backfill", {{{"model", "bakery.daily_sales"}, {"intervals", "2026-12-01 - 2026-12-03"}},
                                   {{"model", "bakery.orders"}}}},
                     {"metadata_updated", {"bakery.m"}},
                     {"indirectly_modified", {"bakery.top_products"}},
                     {"directly_modified", {"bakery.orders"}},
                     {"removed", {"bakery.old"}},
                     {"added", {"a.1", "a.2", "a.3", "a.4", "a.5", "a.6", "a.7"}}};
  EXPECT_EQ(plan_lines(plan), (Lines{{"plan", "prod, applied"},
                                     {"added", "a.1, a.2, a.3, a.4, a.5 and 2 more"},
                                     {"removed", "bakery.old"},
                                     {"modified", "bakery.orders"},
                                     {"indirectly", "bakery.top_products"},
                                     {"metadata", "bakery.m"},
                                     {"backfill", "bakery.daily_sales (2026-12-01 - 2026-12-03), bakery.orders"}}));
}

TEST(PlanLines, FiveNamesAreShownWithoutMore) {
  const json plan = {{"environment", "dev"}, {"added", {"a", "b", "c", "d", "e"}}};
  EXPECT_EQ(plan_lines(plan), (Lines{{"plan", "dev"}, {"added", "a, b, c, d, e"}}));
}

TEST(PlanLines, APlanNotAppliedSaysSo) {
  const json plan = {{"environment", "prod"}, {"applied", false}, {"added", {"x"}}};
  EXPECT_EQ(plan_lines(plan).front(), (std::pair<std::string, std::string>{"plan", "prod, not applied"}));
}

TEST(PlanLines, APlanWithoutChangesSaysNone) {
  const json plan = {{"environment", "prod"}, {"applied", true}, {"added", json::array()}, {"backfill", json::array()}};
  EXPECT_EQ(plan_lines(plan), (Lines{{"plan", "prod, applied"}, {"changes", "none"}}));
  EXPECT_EQ(plan_lines(json::object()), (Lines{{"plan", "?"}, {"changes", "none"}}));
}

TEST(PlanLines, JunkIsIgnoredAndNeverThrows) {
  const json plan = {{"environment", 7},
                     {"applied", "yes"},
                     {"added", "not a list"},
                     {"removed", {1, nullptr, json::object(), "kept"}},
                     {"directly_modified", {{{"model", 3}}, {{"name", "x"}}}},
                     {"backfill", {{{"model", "m"}, {"intervals", 5}}, json::array()}}};
  Lines lines;
  ASSERT_NO_THROW(lines = plan_lines(plan));
  EXPECT_EQ(lines, (Lines{{"plan", "?"}, {"removed", "kept"}, {"backfill", "m"}}));
}

}  // namespace

namespace dagctl::cli {
namespace {

TEST(CliPlanLines, NamesFitTheWidthGivenWithHowManyMore) {
  const nlohmann::json plan = {{"environment", "prod"},
                               {"added", {"bakery.daily_orders", "bakery.daily_sales", "bakery.flour_deliveries"}},
                               {"backfill", {{{"model", "bakery.daily_orders"}, {"intervals", "2026-12-01 - 2026-12-03"}}}},
                               {"counts", {{"added", 140}}}};
  const auto lines = plan_lines(plan, 60);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].second, "bakery.daily_orders, bakery.daily_sales and 138 more");
  EXPECT_LE(display_width(lines[1].second), 60);
  // One name always shows, even when it alone is wider.
  EXPECT_EQ(plan_lines(plan, 10)[1].second, "bakery.daily_orders and 139 more");
  EXPECT_EQ(plan_lines(plan, 10)[2].second, "bakery.daily_orders (2026-12-01 - 2026-12-03)");
}

}  // namespace
}  // namespace dagctl::cli
