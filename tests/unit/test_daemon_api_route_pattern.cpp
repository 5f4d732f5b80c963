// Tests for daemon/api/route_pattern: the router's path matching (404 vs a route) and the
// named parameters it hands to handlers.
#include "daemon/api/route_pattern.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using dagctl::daemon::api::PathParams;
using dagctl::daemon::api::RoutePattern;
using Params = std::vector<std::pair<std::string, std::string>>;

// The parameters when `path` matches, nullopt when it does not.
std::optional<Params> match(const std::string& pattern, const std::string& path) {
  const auto params = RoutePattern(pattern).match(path);
  if (!params) return std::nullopt;
  return params->items();
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

TEST(RoutePattern, SegmentParametersCaptureOneNonEmptySegmentByName) {
  const std::string job = "/api/v1/projects/{id}/jobs/{job_id}";
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs/nightly"), (Params{{"id", "shop"}, {"job_id", "nightly"}}));
  EXPECT_EQ(match(job + "/trigger", "/api/v1/projects/p-1/jobs/j%20x/trigger"),
            (Params{{"id", "p-1"}, {"job_id", "j%20x"}}));
  EXPECT_EQ(match(job, "/api/v1/projects//jobs/nightly"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs/"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/jobs/a/b"), std::nullopt);
  EXPECT_EQ(match(job, "/api/v1/projects/shop/tasks/nightly"), std::nullopt);
  // dbt's unique ids have dots (docs/api.md, A node's history).
  EXPECT_EQ(match("/api/v1/projects/{id}/nodes/{unique_id}/history",
                  "/api/v1/projects/shop/nodes/test.shop.not_null_stg_books_book_id.1a2b3c/history"),
            (Params{{"id", "shop"}, {"unique_id", "test.shop.not_null_stg_books_book_id.1a2b3c"}}));
}

TEST(RoutePattern, ARestParameterCapturesTheRestWithSlashes) {
  const std::string artifacts = "/api/v1/runs/{run_id}/artifacts/{path...}";
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/run_results.json"),
            (Params{{"run_id", "r1"}, {"path", "run_results.json"}}));
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/compiled/shop/models/a.sql"),
            (Params{{"run_id", "r1"}, {"path", "compiled/shop/models/a.sql"}}));
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/a/"), (Params{{"run_id", "r1"}, {"path", "a/"}}));
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts/"), std::nullopt);
  EXPECT_EQ(match(artifacts, "/api/v1/runs/r1/artifacts"), std::nullopt);
}

TEST(RoutePattern, RegexLookalikesAreLiterals) {
  EXPECT_EQ(match("/api/v1/runs/([^/]+)", "/api/v1/runs/r1"), std::nullopt);
  EXPECT_EQ(match("/api/v1/runs/(.+)", "/api/v1/runs/(.+)"), Params{});
}

TEST(PathParams, GetNamesAParameterAndRefusesAnUnknownName) {
  const auto params = RoutePattern("/api/v1/runs/{run_id}/retry").match("/api/v1/runs/r1/retry");
  ASSERT_TRUE(params);
  EXPECT_EQ(params->get("run_id"), "r1");
  EXPECT_THROW(params->get("job_id"), std::logic_error);
  EXPECT_FALSE(RoutePattern("/api/v1/runs/{run_id}/cancel").match("/api/v1/runs/r1/retry"));
}

TEST(RoutePattern, KeepsItsTextAndGivesTheOpenApiPath) {
  EXPECT_EQ(RoutePattern("/api/v1/tokens/{token_id}").text(), "/api/v1/tokens/{token_id}");
  EXPECT_EQ(RoutePattern("/api/v1/tokens/{token_id}").openapi_path(), "/api/v1/tokens/{token_id}");
  EXPECT_EQ(RoutePattern("/api/v1/runs/{run_id}/artifacts/{path...}").openapi_path(),
            "/api/v1/runs/{run_id}/artifacts/{path}");
  EXPECT_EQ(RoutePattern("/api/v1/health").openapi_path(), "/api/v1/health");
}

TEST(RoutePattern, RefusesMalformedPatterns) {
  EXPECT_THROW(RoutePattern("api/v1"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/{rest...}/b"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/x{id}"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/{id"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/{}"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/{Id}"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/{...}"), std::logic_error);
  EXPECT_THROW(RoutePattern("/a/{id}/b/{id}"), std::logic_error);
}

}  // namespace
