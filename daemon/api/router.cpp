#include "daemon/api/router.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "common/limits.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/request_body.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

Router::Router(service::Service& service, service::Tokens& tokens, const std::string& data_dir,
               const std::string& http_address)
    : tokens_(tokens), browser_(ui_sessions_, tokens, http_address) {
  register_daemon_routes(routes_, service);
  register_metrics_routes(routes_, service);
  // Before the web UI's pages: /ui/login.css is served without a session.
  register_ui_auth_routes(routes_, browser_, login_links_);
  register_project_routes(routes_, service);
  register_job_routes(routes_, service);
  register_webhook_routes(routes_, service);
  register_run_routes(routes_, service, data_dir);
  register_token_routes(routes_, tokens);
  register_ui_routes(routes_);
}

void Router::install(httplib::Server& server, Listener listener) {
  const std::string all = "/.*";
  auto without_body = [this, listener](const httplib::Request& req, httplib::Response& res) {
    handle(req, res, listener);
  };
  auto with_body = [this, listener](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) { handle(req, res, listener, reader); };
  server.Get(all, without_body);
  server.Options(all, without_body);
  server.Post(all, with_body);
  server.Put(all, with_body);
  server.Patch(all, with_body);
  server.Delete(all, with_body);
  server.set_payload_max_length(kMaxBodyBytes);
  // Pollers (Airflow sensors, scripts) keep connections open; httplib's default is 5 requests.
  server.set_keep_alive_max_count(100000);
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    // Errors httplib produced itself, before any route ran.
    if (!res.body.empty()) return;
    if (res.status == 413) {
      send_error(res, 413, "payload_too_large", "the body is over 1 MiB; send less");
    } else if (res.status == 400) {
      send_error(res, 400, "invalid_request", "the HTTP request is malformed");
    } else {
      send_error(res, res.status, "http_error", "HTTP error " + std::to_string(res.status));
    }
  });
}

void Router::handle(const httplib::Request& req, httplib::Response& res, Listener listener) const {
  dispatch(req, res, listener, "");
}

void Router::handle(const httplib::Request& req, httplib::Response& res, Listener listener,
                    const httplib::ContentReader& reader) const {
  if (auto body = read_body(req, res, reader)) dispatch(req, res, listener, *body);
}

store::Token Router::authorize(const httplib::Request& req) const {
  const auto token = tokens_.authenticate(req.get_header_value("Authorization"));
  const std::string org = req.get_header_value("X-Organization-ID");
  if (!org.empty() && org != token.org_id) {
    throw service::UserError(403, "forbidden",
                    "X-Organization-ID '" + org + "' is not this token's organization; send " + token.org_id +
                        " or leave the header out");
  }
  return token;
}

Router::Caller Router::identify(const httplib::Request& req) const {
  if (req.path == "/api/v1/health") return {};  // needs nothing, for anyone
  // GET /metrics takes a token as the API does: Prometheus sends one (docs/metrics.md).
  const bool api = req.path.rfind("/api/", 0) == 0 || req.path == "/metrics";
  Caller out;
  // Authorization makes a token request as before, with any Host (Airflow in Docker calls
  // host.docker.internal); the cookie's rules are the browser's (docs/security.md#web-ui).
  if (api && req.has_header("Authorization")) {
    out.token = authorize(req);
    return out;
  }
  const bool cookie = browser_.has_cookie(req);
  if (cookie) {
    browser_.require_own_host(req);
    out.session = browser_.session(req);
  }
  if (api && !out.session) {
    if (cookie) {
      throw service::UserError(401, "unauthorized",
                               "the session cookie names no live session (it expired, was logged out, or dagctld "
                               "restarted); log in again with dagctl ui");
    }
    out.token = authorize(req);  // 401 saying what is missing
  }
  return out;
}

namespace {

bool is_change(const httplib::Request& req) { return req.method != "GET" && req.method != "HEAD"; }

// HEAD of a web UI page is its GET (RFC 9110 9.3.2): httplib sends the headers without the
// body. API routes keep their own methods.
bool method_matches(const Route& route, const httplib::Request& req) {
  return route.method == req.method || (route.page && req.method == "HEAD" && route.method == "GET");
}

// A token session may do what its token's scope allows (docs/security.md#web-ui).
void require_session_scope(const service::UiSession& session, Scope needed) {
  if (session.scope >= needed) return;
  const std::string want = store::to_string(needed);
  throw service::UserError(403, "forbidden",
                           "this needs scope '" + want + "'; this session logged in with a token of scope '" +
                               store::to_string(session.scope) + "' (log in with dagctl ui, or with a token of scope " +
                               want + ")");
}

}  // namespace

void Router::dispatch(const httplib::Request& req, httplib::Response& res, Listener listener,
                      const std::string& body) const {
  std::string allowed;
  bool hidden = false;  // the method exists here, but only on the Unix socket
  bool page = false;    // a web UI page over TCP: its security headers at the end
  bool answered = false;
  const auto send_user_error = [&res](const service::UserError& e) {
    if (e.http_status() == 401) res.set_header("WWW-Authenticate", "Bearer");
    // database_locked: the same request works once the other process's lock is gone.
    if (e.http_status() == 503) res.set_header("Retry-After", "1");
    send_error(res, e.http_status(), e.code(), e.what());
  };
  try {
    const bool tcp = listener == Listener::tcp;
    const auto [token, session] = tcp ? identify(req) : Caller{};
    const bool local_session = session && session->kind == service::SessionKind::local;
    for (const auto& route : routes_.routes()) {
      const auto params = route.pattern.match(req.path);
      if (!params) continue;
      if (route.local_only && listener != Listener::unix_socket && !local_session) {
        // Local-only routes do not exist on TCP at all (docs/api.md): 404, not 405.
        if (method_matches(route, req)) {
          hidden = true;
          break;
        }
        continue;
      }
      if (!method_matches(route, req)) {
        allowed += (allowed.empty() ? "" : ", ") + route.method;
        continue;
      }
      if (tcp && route.page) {
        page = true;
        browser_.require_own_host(req);
        if (!route.login && !session) {
          if (is_change(req)) throw service::UserError(401, "unauthorized", "log in first: run dagctl ui");
          res.status = 303;
          res.set_header("Location", "/login");
          answered = true;
          break;
        }
      }
      // The login pages check for themselves: POST /login its Origin, /logout the CSRF token.
      if (session && !route.login && is_change(req)) browser_.require_csrf(req, *session);
      // Socket callers are the owner; over TCP the token's scope must cover the route.
      if (token) service::Tokens::require_scope(*token, route.scope);
      if (session && !local_session) require_session_scope(*session, route.scope);
      std::optional<Scope> scope;
      if (token) scope = token->scope;
      if (session) scope = session->scope;
      const Call call{req, body, listener == Listener::unix_socket || local_session, scope, session};
      route.handler(call, res, *params);
      answered = true;
      break;
    }
    if (!answered) {
      if (!allowed.empty() && !hidden) {
        res.set_header("Allow", allowed);
        send_error(res, 405, "method_not_allowed", req.method + " is not allowed on " + common::quote(req.path) + "; use " + allowed);
      } else {
        send_error(res, 404, "not_found", "no route " + req.method + " " + common::quote(req.path) + "; see docs/api.md");
      }
    }
  } catch (const service::UserError& e) {
    send_user_error(e);
  } catch (const store::StoreBusy& e) {
    // A store write outside the service's mapping: the same rule (daemon/service/errors.hpp).
    send_user_error(service::from_store(e));
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", req.method, req.path, e.what());
    send_error(res, 500, "internal_error", "dagctld failed to answer; its log says why");
  }
  if (page) BrowserAuth::add_page_headers(res);
}

}  // namespace dagctl::daemon::api
