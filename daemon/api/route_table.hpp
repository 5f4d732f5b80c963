// The route table: each route's method, path pattern, the token scope it needs and its
// handler. The routes_*.cpp files fill it, each beside its handlers; the router matches
// requests against it (router.hpp).
#pragma once

#include <httplib.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/api/http_util.hpp"
#include "daemon/api/route_pattern.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::api {

using Scope = store::TokenScope;
using Handler = std::function<void(const Call&, httplib::Response&, const PathParams&)>;

struct Route {
  std::string method;
  RoutePattern pattern;
  Scope scope;  // the least token scope that may call it over TCP
  bool local_only;  // on the Unix socket only
  bool page = false;  // a web UI page (docs/ui.md): a browser session, not a bearer token
  Handler handler;
  bool login = false;  // the login form, its stylesheet, logout: a page without a session
};

class RouteTable {
public:
  // Every route names the scope it needs where it is registered (docs/api.md, Token scopes).
  void add(std::string method, std::string pattern, Scope scope, Handler handler) {
    routes_.push_back({std::move(method), RoutePattern(std::move(pattern)), scope, false, false, std::move(handler)});
  }
  // A route that exists on the Unix socket only: over TCP its path answers 404
  // (docs/api.md, Local-only routes). It never sees a token, so it says admin.
  void add_local_only(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), RoutePattern(std::move(pattern)), Scope::admin, true, false, std::move(handler)});
  }
  // A web UI page or asset outside /api/ (docs/ui.md). Over TCP it needs the browser's
  // session cookie instead of a token; the router decides what a missing session gets.
  void add_page(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), RoutePattern(std::move(pattern)), Scope::read, false, true, std::move(handler)});
  }
  // The login pages (docs/security.md#web-ui): a page's Host rule and headers, no session needed.
  void add_login_page(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), RoutePattern(std::move(pattern)), Scope::read, false, true, std::move(handler), true});
  }
  // In the order they were added: the order of a 405's Allow.
  const std::vector<Route>& routes() const { return routes_; }

private:
  std::vector<Route> routes_;
};

}  // namespace dagctl::daemon::api
