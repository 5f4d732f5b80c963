// Router: the REST API (docs/api.md), installed on each listener (the Unix socket and TCP)
// so they share one behaviour. It matches routes itself so that an unknown path is 404, a
// known path with another method is 405 with Allow, and local-only routes do not exist on
// TCP; over TCP it checks the bearer token and the scope each route needs, or the web UI's
// session cookie with its Host and CSRF rules (browser_auth.hpp). The routes are
// registered beside their handlers, in routes_*.cpp (routes.hpp).
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "daemon/api/browser_auth.hpp"
#include "daemon/api/route_table.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/tokens.hpp"

namespace dagctl::daemon::api {

enum class Listener { unix_socket, tcp };

class Router {
public:
  // `http_address`: the TCP listener's, as dagctld.json names it ("" for none); the web UI's
  // login link and Host check use it (docs/security.md#web-ui).
  Router(service::Service& service, service::Tokens& tokens, const std::string& data_dir,
         const std::string& http_address = "");
  // The routes' handlers refer to the table (GET /api/v1/routes lists it): it stays put.
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void install(httplib::Server& server, Listener listener);

  // One request as an installed listener answers it: a method without a body, and one
  // whose body `reader` delivers (request_body.hpp).
  void handle(const httplib::Request& req, httplib::Response& res, Listener listener) const;
  void handle(const httplib::Request& req, httplib::Response& res, Listener listener,
              const httplib::ContentReader& reader) const;

private:
  void dispatch(const httplib::Request& req, httplib::Response& res, Listener listener,
                const std::string& body) const;
  // TCP only: the bearer token must be valid and X-Organization-ID, when sent, its org.
  store::Token authorize(const httplib::Request& req) const;
  // Who asks over TCP: a bearer token, or the web UI's session cookie (or neither, for
  // health and for pages, which decide themselves). Throws the 401/403 that ends it there.
  struct Caller {
    std::optional<store::Token> token;
    std::optional<service::UiSession> session;
  };
  Caller identify(const httplib::Request& req) const;

  service::Tokens& tokens_;
  service::UiSessions ui_sessions_;  // in memory: a restart logs every browser out
  BrowserAuth browser_;
  RouteTable routes_;
};

}  // namespace dagctl::daemon::api
