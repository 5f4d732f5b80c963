// Router: the REST API of CONTRACT §5, installed on each listener (Unix socket now, TCP
// later) so they share one behaviour. It does its own matching so that an unknown path is
// 404, a known path with another method is 405 with Allow, and local-only routes do not
// exist on TCP.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "daemon/api/http_util.hpp"
#include "daemon/api/route_pattern.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/tokens.hpp"

namespace dagctl::daemon::api {

enum class Listener { unix_socket, tcp };

// The largest request body accepted; larger ones answer 413.
constexpr size_t kMaxBodyBytes = 1024 * 1024;

// The most `logs?follow=true` streams one listener serves at once; one more answers 503
// with Retry-After. Each holds a worker thread for its run's length, so the caps stay well
// below the listener's threads (daemon.cpp): triggers and status polls always find one.
constexpr int kMaxFollowersTcp = 32;
constexpr int kMaxFollowersSocket = 48;

class Router {
public:
  Router(service::Service& service, service::Tokens& tokens, std::string data_dir);
  void install(httplib::Server& server, Listener listener);

private:
  using Params = std::vector<std::string>;
  using Handler = std::function<void(const Call&, httplib::Response&, const Params&)>;
  using Scope = store::TokenScope;
  struct Route {
    std::string method;
    RoutePattern pattern;
    Scope scope;  // the least token scope that may call it over TCP
    bool local_only;
    Handler handler;
  };

  // Every route names the scope it needs where it is registered (docs/api.md, Token
  // scopes). Local-only routes never see a token: they say admin.
  void add(const std::string& method, const std::string& pattern, Scope scope, Handler handler,
           bool local_only = false);
  void dispatch(const httplib::Request& req, httplib::Response& res, Listener listener,
                const std::string& body);
  void add_project_routes();
  void add_job_routes();
  void add_run_routes();
  void add_token_routes();
  // TCP only: the bearer token must be valid and X-Organization-ID, when sent, its org.
  store::Token authorize(const httplib::Request& req) const;

  service::Service& service_;
  service::Tokens& tokens_;
  std::string data_dir_;
  std::vector<Route> routes_;
  // Log streams being served, per listener (socket, TCP).
  std::atomic<int> followers_socket_{0};
  std::atomic<int> followers_tcp_{0};
};

}  // namespace dagctl::daemon::api
