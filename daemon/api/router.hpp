// Router: the REST API of CONTRACT §5, installed on each listener (Unix socket now, TCP
// later) so they share one behaviour. It does its own matching so that an unknown path is
// 404, a known path with another method is 405 with Allow, and local-only routes do not
// exist on TCP.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>
#include <vector>

#include "daemon/api/http_util.hpp"
#include "daemon/api/route_pattern.hpp"
#include "daemon/service.hpp"
#include "daemon/tokens.hpp"

namespace dagctl::daemon::api {

enum class Listener { unix_socket, tcp };

// The largest request body accepted; larger ones answer 413.
constexpr size_t kMaxBodyBytes = 1024 * 1024;

class Router {
public:
  Router(Service& service, Tokens& tokens, std::string data_dir);
  void install(httplib::Server& server, Listener listener);

private:
  using Params = std::vector<std::string>;
  using Handler = std::function<void(const Call&, httplib::Response&, const Params&)>;
  struct Route {
    std::string method;
    RoutePattern pattern;
    bool local_only;
    Handler handler;
  };

  void add(const std::string& method, const std::string& pattern, Handler handler,
           bool local_only = false);
  void dispatch(const httplib::Request& req, httplib::Response& res, Listener listener,
                const std::string& body);
  void add_project_routes();
  void add_job_routes();
  void add_run_routes();
  void add_token_routes();
  // TCP only: the bearer token must be valid and X-Organization-ID, when sent, its org.
  void authorize(const httplib::Request& req) const;

  Service& service_;
  Tokens& tokens_;
  std::string data_dir_;
  std::vector<Route> routes_;
};

}  // namespace dagctl::daemon::api
