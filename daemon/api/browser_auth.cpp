#include "daemon/api/browser_auth.hpp"

#include <chrono>

#include "common/crypto.hpp"
#include "common/limits.hpp"
#include "daemon/api/browser_fields.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

namespace {

service::UserError csrf_failed(const std::string& message) { return service::UserError(403, "csrf_failed", message); }

std::string cookie_header(const httplib::Request& req) {
  // Browsers send one Cookie header; a client that sends several has them all read.
  std::string out;
  const auto range = req.headers.equal_range("Cookie");
  for (auto it = range.first; it != range.second; ++it) out += (out.empty() ? "" : "; ") + it->second;
  return out;
}

}  // namespace

bool BrowserAuth::has_cookie(const httplib::Request& req) const {
  return !cookie_values(cookie_header(req), kSessionCookie).empty();
}

void BrowserAuth::require_own_host(const httplib::Request& req) const {
  const std::string host = req.get_header_value("Host");
  if (names_.allows_host(host)) return;
  throw service::UserError(403, "host_not_allowed",
                           "the Host header " + common::quote(host) +
                               " is not a name of this dagctld; open the web UI at " + names_.base_url() +
                               " (allowed: " + names_.list() + "; docs/security.md#web-ui)");
}

std::optional<service::UiSession> BrowserAuth::session(const httplib::Request& req) const {
  for (const auto& value : cookie_values(cookie_header(req), kSessionCookie)) {
    auto found = sessions_.find(value);
    if (!found) continue;
    if (found->kind == service::SessionKind::token) {
      try {
        found->scope = tokens_.authenticate_hash(found->token_sha256).scope;
      } catch (const service::UserError& e) {
        sessions_.end(found->key);
        throw service::UserError(401, "unauthorized",
                                 std::string("this session's token no longer works (") + e.what() + "); log in again");
      }
    }
    return found;
  }
  return std::nullopt;
}

void BrowserAuth::require_csrf(const httplib::Request& req, const service::UiSession& session) const {
  if (req.method == "GET" || req.method == "HEAD") return;
  const std::string sent = req.get_header_value("X-CSRF-Token");
  if (sent.empty() || !common::constant_time_equals(sent, session.csrf_token)) {
    throw csrf_failed("a change made with the session cookie needs the header X-CSRF-Token with the session's "
                      "csrf_token (GET /api/v1/ui/session; docs/security.md#web-ui)");
  }
  require_same_origin(req);
}

void BrowserAuth::require_same_origin(const httplib::Request& req) const {
  if (!req.has_header("Origin")) return;
  const std::string origin = req.get_header_value("Origin");
  if (origin == "http://" + req.get_header_value("Host")) return;
  throw csrf_failed("the Origin " + common::quote(origin) + " is not this dagctld's (" + names_.base_url() +
                    "); changes are accepted from the web UI's own pages only");
}

std::string BrowserAuth::session_cookie(const std::string& id) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(service::UiSessions::kSessionLifetime).count();
  return std::string(kSessionCookie) + "=" + id + "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(seconds);
}

std::string BrowserAuth::cleared_cookie() {
  return std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
}

void BrowserAuth::add_page_headers(httplib::Response& res) {
  static const std::pair<const char*, const char*> kHeaders[] = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"},
  };
  for (const auto& [name, value] : kHeaders) {
    if (!res.has_header(name)) res.set_header(name, value);
  }
}

}  // namespace dagctl::daemon::api
