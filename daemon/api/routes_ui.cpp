// The web UI (docs/ui.md): `/` is the one page, `/ui/{path...}` its scripts and styles, all
// built into the binary (daemon/ui/assets.hpp). Registered as pages: the router gives them a
// browser session's rules and security headers.
#include <stdexcept>
#include <string>

#include "common/limits.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/ui/assets.hpp"

namespace dagctl::daemon::api {

namespace {

// The ETag lets a browser revalidate an asset in one small request; `no-cache` makes it
// revalidate each time, so a new dagctld's UI is never mixed with the old one's modules.
void send_asset(const Call& call, httplib::Response& res, const ui::Asset& asset, const char* cache_control) {
  res.set_header("Cache-Control", cache_control);
  res.set_header("ETag", asset.etag);
  if (call.http.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(asset.bytes, asset.size, asset.content_type);
}

}  // namespace

void register_ui_routes(RouteTable& table) {
  table.add_page("GET", "/", [](const Call& call, httplib::Response& res, const PathParams&) {
    const auto* index = ui::find_asset("index.html");
    if (index == nullptr) throw std::logic_error("index.html is not embedded");
    send_asset(call, res, *index, "no-store");
  });
  table.add_page("GET", "/ui/{path...}", [](const Call& call, httplib::Response& res, const PathParams& params) {
    const auto& path = params.get("path");
    const auto* asset = ui::find_asset(path);
    if (asset == nullptr) {
      send_error(res, 404, "not_found", "no web UI file " + common::quote(path) + "; see docs/ui.md");
      return;
    }
    send_asset(call, res, *asset, "no-cache");
  });
  // Browsers ask for /favicon.ico on every page, the login form's too: served without a
  // session (it is only the logo), so a logged-out browser logs no failed request.
  table.add_login_page("GET", "/favicon.ico", [](const Call& call, httplib::Response& res, const PathParams&) {
    const auto* icon = ui::find_asset("favicon.svg");
    if (icon == nullptr) throw std::logic_error("favicon.svg is not embedded");
    send_asset(call, res, *icon, "no-cache");
  });
}

}  // namespace dagctl::daemon::api
