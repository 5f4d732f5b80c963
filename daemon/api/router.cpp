#include "daemon/api/router.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "common/limits.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/request_body.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

Router::Router(service::Service& service, service::Tokens& tokens, const std::string& data_dir)
    : tokens_(tokens) {
  register_daemon_routes(routes_, service);
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

void Router::dispatch(const httplib::Request& req, httplib::Response& res, Listener listener,
                      const std::string& body) const {
  std::string allowed;
  bool hidden = false;  // the method exists here, but only on the Unix socket
  const auto send_user_error = [&res](const service::UserError& e) {
    if (e.http_status() == 401) res.set_header("WWW-Authenticate", "Bearer");
    // database_locked: the same request works once the other process's lock is gone.
    if (e.http_status() == 503) res.set_header("Retry-After", "1");
    send_error(res, e.http_status(), e.code(), e.what());
  };
  try {
    std::optional<store::Token> token;
    if (listener == Listener::tcp && req.path != "/api/v1/health" && req.path.rfind("/api/", 0) == 0) {
      token = authorize(req);
    }
    for (const auto& route : routes_.routes()) {
      const auto params = route.pattern.match(req.path);
      if (!params) continue;
      if (route.local_only && listener != Listener::unix_socket) {
        // Local-only routes do not exist on TCP at all (docs/api.md): 404, not 405.
        if (route.method == req.method) {
          hidden = true;
          break;
        }
        continue;
      }
      if (route.method != req.method) {
        allowed += (allowed.empty() ? "" : ", ") + route.method;
        continue;
      }
      // Socket callers are the owner; over TCP the token's scope must cover the route.
      if (token) service::Tokens::require_scope(*token, route.scope);
      const Call call{req, body, listener == Listener::unix_socket,
                      token ? std::optional<Scope>(token->scope) : std::nullopt};
      route.handler(call, res, *params);
      return;
    }
    if (!allowed.empty() && !hidden) {
      res.set_header("Allow", allowed);
      send_error(res, 405, "method_not_allowed", req.method + " is not allowed on " + common::quote(req.path) + "; use " + allowed);
      return;
    }
    send_error(res, 404, "not_found", "no route " + req.method + " " + common::quote(req.path) + "; see docs/api.md");
  } catch (const service::UserError& e) {
    send_user_error(e);
  } catch (const store::StoreBusy& e) {
    // A store write outside the service's mapping: the same rule (daemon/service/errors.hpp).
    send_user_error(service::from_store(e));
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", req.method, req.path, e.what());
    send_error(res, 500, "internal_error", "dagctld failed to answer; its log says why");
  }
}

}  // namespace dagctl::daemon::api
