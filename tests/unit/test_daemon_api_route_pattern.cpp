// Tests for daemon/api/route_pattern: the router's path matching (404 vs a route, the ids
// it hands to handlers), as the regexes it replaced matched.
#include "daemon/api/route_pattern.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using dagctl::daemon::api::RoutePattern;
using Params = std::vector<std::string>;

// The captures when `path` matches, nullopt when it does not.
std::optional<Params> match(const std::string& pattern, const std::string& path) {
  Params params;
  if (!RoutePattern(pattern).match(path, params)) return std::nullopt;
  return params;
}

TEST(RoutePattern, LiteralPathsMatchExactly) {
  EXPECT_EQ(match("/api/v1/runs", "/api/v1/runs"), Params{});
  EXPECT_EQ(match("/api/v1/runs", "/api/v1/runs/"), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs", "/api/v1/run"), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs", "/api/v1/runsx"), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs", "/api/v1"), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs", "api/v1/runs"), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs", ""), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs", "//api/v1/runs"), std::nullopt);
}

TEST(RoutePattern, SegmentParametersCaptureOneNonEmptySegment) {
  const std::string job = "/api/v1/projects/([^/]+)/jobs/([^/]+)";
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs/nightly"), (Params{"shop", "nightly"}));
  EXPECT_EQ(match(job + "/trigger", "/api/v1/projects/p-1/jobs/j%20x/trigger"), (Params{"p-1", "j%20x"}));
  EXPECT_EQ(match(job, "/api/v1/projects//jobs/nightly"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs/"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs/a/b"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/tasks/nightly"), std::nullopt);
}

TEST(RoutePattern, ARestParameterCapturesTheRestWithSlashes) {
  const std::string artifacts = "/api/v1/runs/([^/]+)/artifacts/(.+)";
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/run_results.json"), (Params{"r1", "run_results.json"}));
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/compiled/shop/models/a.sql"),
            (Params{"r1", "compiled/shop/models/a.sql"}));
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/a/"), (Params{"r1", "a/"}));
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/"), std::nullopt);
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts"), std::nullopt);
}

TEST(RoutePattern, ANonMatchLeavesTheParametersAlone) {
  Params params{"earlier"};
  EXPECT_FALSE(RoutePattern("/api/v1/runs/([^/]+)/cancel").match("/api/v1/runs/r1/retry", params));
  EXPECT_EQ(params, Params{"earlier"});
  EXPECT_TRUE(RoutePattern("/api/v1/runs/([^/]+)/retry").match("/api/v1/runs/r1/retry", params));
  EXPECT_EQ(params, (Params{"earlier", "r1"}));
}

TEST(RoutePattern, KeepsItsTextForTheRouteList) {
  EXPECT_EQ(RoutePattern("/api/v1/tokens/([^/]+)").text(), "/api/v1/tokens/([^/]+)");
  EXPECT_THROW(RoutePattern("api/v1"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/(.+)/b"), std::logic_error);
}

}  // namespace
