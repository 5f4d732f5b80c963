// GET /metrics: the daemon's metrics in Prometheus' text format (docs/metrics.md). A read
// token over TCP; the socket as every route. The --metrics-listen listener serves the same
// text without the router (daemon/app/daemon.cpp).
#include "daemon/api/routes.hpp"
#include "daemon/metrics/exposition.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

void register_metrics_routes(RouteTable& table, service::Service& service) {
  table.add("GET", "/metrics", Scope::read, [&service](const Call&, httplib::Response& res, const PathParams&) {
    const auto& render = service.info().metrics_text;
    if (!render) throw service::UserError(503, "unavailable", "this dagctld keeps no metrics");
    res.status = 200;
    res.set_content(render(), metrics::kContentType);
  });
}

}  // namespace dagctl::daemon::api
