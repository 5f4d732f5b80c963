// Tests for daemon/api/routes_ui and daemon/ui/assets: the web UI's files are built into
// dagctld (docs/ui.md). `/` is index.html, `/ui/{path}` a file with its content type and
// ETag (304 when the browser has it), an unknown file 404; only page routes, and only the
// icon without a session.
#include <gtest/gtest.h>
#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/route_table.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/ui/assets.hpp"

namespace {

namespace api = dagctl::daemon::api;
namespace ui = dagctl::daemon::ui;

struct Served {
  int status = 0;
  std::string body;
  httplib::Response res;
};

Served get(const std::string& path, const std::string& if_none_match = "") {
  api::RouteTable table;
  api::register_ui_routes(table);
  httplib::Request req;
  req.method = "GET";
  req.path = path;
  if (!if_none_match.empty()) req.set_header("If-None-Match", if_none_match);
  const std::string body;
  Served out;
  for (const auto& route : table.routes()) {
    EXPECT_TRUE(route.page) << route.pattern.text() << " is not a page route";
    EXPECT_EQ(route.login, route.pattern.text() == "/favicon.ico") << route.pattern.text() << ": only the icon needs no session";
    const auto params = route.pattern.match(path);
    if (!params || route.method != "GET") continue;
    route.handler(api::Call{req, body, false, std::nullopt}, out.res, *params);
    out.status = out.res.status;
    out.body = out.res.body;
    return out;
  }
  ADD_FAILURE() << "no UI route matches " << path;
  return out;
}

TEST(UiAssets, EveryPageFileIsEmbeddedWithItsType) {
  for (const auto& [path, type] : {std::pair{"index.html", "text/html; charset=utf-8"},
                                   {"app.js", "text/javascript; charset=utf-8"},
                                   {"pages/run.js", "text/javascript; charset=utf-8"},
                                   {"style.css", "text/css; charset=utf-8"},
                                   {"favicon.svg", "image/svg+xml"}}) {
    const auto* asset = ui::find_asset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_STREQ(asset->content_type, type) << path;
    EXPECT_GT(asset->size, 0u) << path;
    EXPECT_EQ(asset->etag[0], '"') << path;
  }
  EXPECT_EQ(ui::find_asset("assets.hpp"), nullptr);  // the header is not a web file
  EXPECT_EQ(ui::find_asset("nope.js"), nullptr);
  EXPECT_EQ(ui::find_asset(""), nullptr);
  EXPECT_EQ(ui::find_asset("../CMakeLists.txt"), nullptr);
}

TEST(UiAssets, NoInlineScriptOrStyleInIndex) {
  // The Content-Security-Policy allows only this origin's files (docs/security.md).
  const auto* index = ui::find_asset("index.html");
  ASSERT_NE(index, nullptr);
  const std::string_view html(index->bytes, index->size);
  EXPECT_NE(html.find(R"(<script type="module" src="/ui/app.js"></script>)"), std::string_view::npos);
  EXPECT_EQ(html.find("<script>"), std::string_view::npos);
  EXPECT_EQ(html.find("<style"), std::string_view::npos);
  EXPECT_EQ(html.find("style=\""), std::string_view::npos);
  EXPECT_EQ(html.find("onclick"), std::string_view::npos);
}

TEST(UiRoutes, RootIsIndexNeverCached) {
  const auto root = get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.res.get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(root.res.get_header_value("Cache-Control"), "no-store");
  const auto* index = ui::find_asset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(root.body, std::string(index->bytes, index->size));
}

TEST(UiRoutes, FilesRevalidateByEtag) {
  const auto css = get("/ui/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.res.get_header_value("Cache-Control"), "no-cache");
  const auto etag = css.res.get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  const auto again = get("/ui/style.css", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/ui/style.css", "\"other\"").status, 200);
  EXPECT_EQ(get("/ui/pages/overview.js").status, 200);
}

TEST(UiRoutes, FaviconIsTheLogo) {
  const auto icon = get("/favicon.ico");
  EXPECT_EQ(icon.status, 200);
  EXPECT_EQ(icon.res.get_header_value("Content-Type"), "image/svg+xml");
}

TEST(UiRoutes, UnknownFileIs404) {
  const auto missing = get("/ui/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("not_found"), std::string::npos);
  EXPECT_EQ(get("/ui/../daemon/ui/assets.hpp").status, 404);
}

}  // namespace
