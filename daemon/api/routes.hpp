// Each resource's routes, registered beside their handlers in routes_<resource>.cpp. The
// router calls these in this order, which is the order of a 405's Allow.
#pragma once

#include <string>

#include "daemon/api/browser_auth.hpp"
#include "daemon/api/route_table.hpp"
#include "daemon/service/login_links.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/tokens.hpp"

namespace dagctl::daemon::api {

// health, daemon status, org, and the route table itself.
void register_daemon_routes(RouteTable& table, service::Service& service);
// GET /metrics, Prometheus' text format (docs/metrics.md).
void register_metrics_routes(RouteTable& table, service::Service& service);
void register_project_routes(RouteTable& table, service::Service& service);
void register_job_routes(RouteTable& table, service::Service& service);
// A job's deliveries, test event and signing secret; redelivery.
void register_webhook_routes(RouteTable& table, service::Service& service);
// Runs, their logs and artifacts (files under `data_dir`).
void register_run_routes(RouteTable& table, service::Service& service, const std::string& data_dir);
void register_token_routes(RouteTable& table, service::Tokens& tokens);
// The web UI: `/` and its files under `/ui/` (docs/ui.md).
void register_ui_routes(RouteTable& table);
// The web UI's login link, login pages, logout and session (docs/security.md#web-ui).
void register_ui_auth_routes(RouteTable& table, const BrowserAuth& browser, service::LoginLinks& links);

}  // namespace dagctl::daemon::api
