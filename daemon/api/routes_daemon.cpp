// The daemon's own routes: health (no token), status, org, and the route table itself.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "common/time.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/api/views.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {

// What an unprivileged writer may still use of the file system under `dir`; null when unknown.
json free_bytes(const std::string& dir) {
  std::error_code ec;
  const auto space = std::filesystem::space(dir, ec);
  return ec ? json(nullptr) : json(space.available);
}

// The daemons sharing the database (docs/runs.md, Several daemons); one silent longer than
// its own lease is lost.
json daemons_json(const service::DaemonInfo& info) {
  json list = json::array();
  if (!info.daemons) return list;
  const auto now = common::now();
  for (const auto& d : info.daemons()) {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - d.heartbeat_at).count();
    list.push_back({{"id", d.id},
                    {"host", d.host},
                    {"pid", d.pid},
                    {"version", d.version},
                    {"api", d.api.empty() ? json(nullptr) : json(d.api)},
                    {"started_at", common::to_rfc3339(d.started_at)},
                    {"heartbeat_at", common::to_rfc3339(d.heartbeat_at)},
                    {"heartbeat_age_seconds", std::max<std::int64_t>(0, age) / 1000.0},
                    {"running", d.running},
                    {"lease_seconds", static_cast<double>(d.lease.count()) / 1000.0},
                    {"lost", age > d.lease.count()},
                    {"this", d.id == info.daemon_id}});
  }
  return list;
}

}  // namespace

void register_daemon_routes(RouteTable& table, service::Service& service) {
  table.add("GET", "/api/v1/health", Scope::read, [&service](const Call&, httplib::Response& res, const PathParams&) {
    send_json(res, 200, {{"status", "ok"}, {"version", service.info().version}});
  });
  table.add_local_only("GET", "/api/v1/daemon", [&service](const Call&, httplib::Response& res, const PathParams&) {
    const auto& info = service.info();
    // What needs the store may be out of reach (docs/scale-out.md, When something fails):
    // the daemon still says what it knows of itself, and why the rest is missing.
    json runs = {{"running", nullptr}, {"queued", nullptr}};
    json daemons = json::array();
    json store_error = nullptr;
    try {
      const auto counts = service.run_counts();
      runs = {{"running", counts.running}, {"queued", counts.queued}};
      daemons = daemons_json(info);
    } catch (const service::UserError& e) {
      store_error = e.what();
    } catch (const store::StoreBusy& e) {
      store_error = e.what();
    }
    send_json(res, 200, {{"version", info.version}, {"pid", info.pid}, {"socket", info.socket},
                         {"http", info.http.empty() ? json(nullptr) : json(info.http)},
                         {"data_dir", info.data_dir}, {"data_dir_free_bytes", free_bytes(info.data_dir)},
                         {"runs", runs}, {"store_error", store_error},
                         {"retention", {{"keep_days", info.keep_days}, {"keep_runs", info.keep_runs}}},
                         {"sandbox", {{"mode", info.sandbox_mode}, {"active", info.sandbox_active},
                                      {"detail", info.sandbox_detail}}},
                         {"warm", warm_json(info.warm_mode, info.warm_idle_seconds,
                                            info.warm_workers ? info.warm_workers() : std::vector<runner::warm::WorkerInfo>{})},
                         {"settings", info.settings}, {"settings_from", info.settings_from},
                         {"config_file", info.config_file.empty() ? json(nullptr) : json(info.config_file)},
                         {"daemon_id", info.daemon_id}, {"lease_seconds", info.lease_seconds},
                         {"daemons", daemons}});
  });
  table.add("GET", "/api/v1/org", Scope::read, [&service](const Call&, httplib::Response& res, const PathParams&) {
    const auto org = service.organization();
    send_json(res, 200, {{"id", org.id}, {"name", org.name}});
  });
  // The route table itself, in OpenAPI path syntax; docs/openapi.yaml is checked against it.
  table.add_local_only("GET", "/api/v1/routes", [&table](const Call&, httplib::Response& res, const PathParams&) {
    json list = json::array();
    for (const auto& r : table.routes()) {
      list.push_back({{"method", r.method},
                      {"path", r.pattern.openapi_path()},
                      {"local_only", r.local_only},
                      {"scope", r.local_only ? json(nullptr) : json(store::to_string(r.scope))}});
    }
    send_json(res, 200, {{"routes", list}});
  });
}

}  // namespace dagctl::daemon::api
