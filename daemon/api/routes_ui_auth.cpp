// The web UI's login (docs/security.md#web-ui): the one-time link `dagctl ui` asks for on
// the socket, the login pages, logout, and the session a page asks about.
#include <nlohmann/json.hpp>

#include <string>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "daemon/api/browser_auth.hpp"
#include "daemon/api/browser_fields.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/login_pages.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";

void start_session(httplib::Response& res, const std::string& id) {
  res.status = 303;
  res.set_header("Location", "/");
  res.set_header("Set-Cookie", BrowserAuth::session_cookie(id));
}

void send_form(httplib::Response& res, int status, const std::string& problem) {
  res.status = status;
  // The form posts to /login: a browser sends its real Origin with the post only when the
  // page's referrer policy allows it for the same origin ("no-referrer" sends "null").
  res.set_header("Referrer-Policy", "same-origin");
  res.set_content(login_form_page(problem), kHtml);
}

}  // namespace

void register_ui_auth_routes(RouteTable& table, const BrowserAuth& browser, service::LoginLinks& links) {
  table.add_local_only("POST", "/api/v1/ui/login", [&browser, &links](const Call&, httplib::Response& res, const PathParams&) {
    if (!browser.names().has_listener()) {
      throw service::UserError(409, "no_listener",
                               "dagctld has no TCP listener (--listen none), so a browser cannot reach it; "
                               "restart it with --listen 127.0.0.1:8780");
    }
    const auto link = links.create();
    send_json(res, 201, {{"url", browser.names().base_url() + "/login?code=" + link.code},
                         {"expires_at", common::to_rfc3339(link.expires_at)}});
  });
  table.add("GET", "/api/v1/ui/session", Scope::read, [](const Call& call, httplib::Response& res, const PathParams&) {
    if (!call.session) {
      throw service::UserError(401, "unauthorized", "no web UI session: log in with dagctl ui (docs/security.md#web-ui)");
    }
    const auto& s = *call.session;
    send_json(res, 200, {{"kind", service::to_string(s.kind)},
                         {"scope", store::to_string(s.scope)},
                         {"csrf_token", s.csrf_token},
                         {"expires_at", common::to_rfc3339(s.expires_at)}});
  });
  table.add_login_page("GET", "/login", [&browser, &links](const Call& call, httplib::Response& res, const PathParams&) {
    if (!call.http.has_param("code")) return send_form(res, 200, "");
    if (!links.redeem(call.http.get_param_value("code"))) {
      res.status = 401;
      res.set_content(invalid_link_page(), kHtml);
      return;
    }
    start_session(res, browser.sessions().create_local_session().id);
  });
  table.add_login_page("POST", "/login", [&browser](const Call& call, httplib::Response& res, const PathParams&) {
    browser.require_same_origin(call.http);
    const std::string type = call.http.get_header_value("Content-Type");
    if (type.rfind("application/x-www-form-urlencoded", 0) != 0) {
      throw service::UserError(415, "unsupported_media_type",
                               "POST /login takes a form (application/x-www-form-urlencoded) with the field token");
    }
    if (!form_readable(call.body)) {
      return send_form(res, 400, "The form could not be read (a malformed %-escape); enter the token again.");
    }
    const auto token = form_field(call.body, "token");
    if (!token || token->empty()) return send_form(res, 401, "Enter an API token (dctl_...).");
    try {
      const auto found = browser.tokens().authenticate("Bearer " + *token);
      start_session(res, browser.sessions().create_token_session(found.scope, found.secret_sha256).id);
    } catch (const service::UserError& e) {
      if (e.http_status() != 401) throw;
      send_form(res, 401, std::string("That token was not accepted: ") + e.what());
    }
  });
  table.add_login_page("POST", "/logout", [&browser](const Call& call, httplib::Response& res, const PathParams&) {
    if (call.session) {
      browser.require_csrf(call.http, *call.session);  // a page of another site cannot log you out
      browser.sessions().end(call.session->key);
    }
    res.status = 303;
    res.set_header("Location", "/login");
    res.set_header("Set-Cookie", BrowserAuth::cleared_cookie());
  });
  table.add_login_page("GET", "/ui/login.css", [](const Call&, httplib::Response& res, const PathParams&) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(login_stylesheet()), "text/css; charset=utf-8");
  });
}

}  // namespace dagctl::daemon::api
