// Projects: list, show, and (local users only) register, change, check and remove.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "common/limits.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/api/views.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {

std::map<std::string, std::string> string_map(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return {};
  if (!body[key].is_object()) throw service::bad_request(std::string("field '") + key + "' must be an object");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : body[key].items()) {
    if (!v.is_string()) throw service::bad_request(std::string(key) + " " + common::quote(k) + " must have a string value");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string string_field(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return "";
  if (!body[key].is_string()) throw service::bad_request(std::string("field '") + key + "' must be a string");
  return body[key].get<std::string>();
}

// Absent: nullopt; null: "" (back to the default); else the string.
std::optional<std::string> patched_string(const json& body, const char* key) {
  if (!body.contains(key)) return std::nullopt;
  return string_field(body, key);
}

// Absent: nullopt; else true or false (anything else, null included, is a 400).
std::optional<bool> bool_field(const json& body, const char* key) {
  if (!body.contains(key)) return std::nullopt;
  if (!body[key].is_boolean()) throw service::bad_request(std::string("field '") + key + "' must be true or false");
  return body[key].get<bool>();
}

bool check_field(const json& body) { return bool_field(body, "check").value_or(true); }

json check_json(const service::CheckReport& report) {
  json checks = json::array();
  for (const auto& c : report.checks) checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  return {{"ok", report.ok()}, {"checks", checks}};
}

}  // namespace

void register_project_routes(RouteTable& table, service::Service& service) {
  table.add("GET", "/api/v1/projects", Scope::read, [&service](const Call&, httplib::Response& res, const PathParams&) {
    json list = json::array();
    for (const auto& p : service.list_projects()) list.push_back(project_json(p, service.list_jobs(p.id)));
    send_json(res, 200, {{"projects", list}});
  });
  // Registering names a folder and a dbt executable to run: local users only.
  table.add_local_only("POST", "/api/v1/projects", [&service](const Call& call, httplib::Response& res, const PathParams&) {
    const json body = *json_body(call, true);
    reject_unknown_fields(body, {"path", "name", "type", "profiles_dir", "target", "dbt", "sqlmesh", "env", "warm", "check",
                                 "openlineage_url", "git_url", "git_ref", "git_subdir", "on_every_daemon"});
    service::ProjectSpec spec;
    spec.path = string_field(body, "path");
    spec.git_url = string_field(body, "git_url");
    spec.git_ref = string_field(body, "git_ref");
    spec.git_subdir = string_field(body, "git_subdir");
    spec.on_every_daemon = bool_field(body, "on_every_daemon").value_or(false);
    if (body.contains("type") && !body["type"].is_null()) spec.type = string_field(body, "type");
    spec.sqlmesh = string_field(body, "sqlmesh");
    if (body.contains("name") && !body["name"].is_null()) spec.name = string_field(body, "name");
    spec.profiles_dir = string_field(body, "profiles_dir");
    spec.target = string_field(body, "target");
    spec.dbt = string_field(body, "dbt");
    spec.env = string_map(body, "env");
    spec.warm = bool_field(body, "warm").value_or(true);
    spec.check = check_field(body);
    if (body.contains("openlineage_url") && !body["openlineage_url"].is_null()) {
      spec.openlineage_url = string_field(body, "openlineage_url");
    }
    const auto project = service.add_project(spec);
    send_json(res, 201, project_json(project, service.list_jobs(project.id)));
  });
  // {id}, not {project_id}: the name docs/openapi.yaml gives it.
  const std::string project = "/api/v1/projects/{id}";
  table.add("GET", project, Scope::read, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    const auto p = service.get_project(params.get("id"));
    send_json(res, 200, project_json(p, service.list_jobs(p.id)));
  });
  // Like registering, a change names folders and executables: local users only.
  table.add_local_only("PATCH", project, [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    const json body = *json_body(call, true);
    reject_unknown_fields(body, {"path", "name", "type", "profiles_dir", "target", "dbt", "sqlmesh", "env", "warm", "check",
                                 "openlineage_url", "git_ref", "git_subdir"});
    service::ProjectPatch patch;
    patch.git_ref = patched_string(body, "git_ref");
    patch.git_subdir = patched_string(body, "git_subdir");
    if (body.contains("type")) patch.type = string_field(body, "type");
    patch.path = patched_string(body, "path");
    patch.name = patched_string(body, "name");
    patch.profiles_dir = patched_string(body, "profiles_dir");
    patch.target = patched_string(body, "target");
    patch.dbt = patched_string(body, "dbt");
    patch.sqlmesh = patched_string(body, "sqlmesh");
    if (body.contains("env") && !body["env"].is_null()) {
      if (!body["env"].is_object()) throw service::bad_request("field 'env' must be an object");
      for (const auto& [k, v] : body["env"].items()) {
        if (!v.is_string() && !v.is_null()) {
          throw service::bad_request("env " + common::quote(k) + " must be a string, or null to remove it");
        }
        patch.env[k] = v.is_null() ? std::nullopt : std::optional(v.get<std::string>());
      }
    }
    patch.warm = bool_field(body, "warm");
    patch.check = check_field(body);
    if (body.contains("openlineage_url")) {
      patch.openlineage_url.emplace();
      if (!body["openlineage_url"].is_null()) *patch.openlineage_url = string_field(body, "openlineage_url");
    }
    const auto p = service.update_project(params.get("id"), patch);
    send_json(res, 200, project_json(p, service.list_jobs(p.id)));
  });
  // Runs `dbt --version` and reads the daemon user's files: local users only.
  table.add("GET", project + "/nodes/{unique_id}/history", Scope::read,
            [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    int limit = 50;
    if (const auto text = query_param(call, "limit")) {
      const auto n = parse_whole_number(*text, 200);
      if (!n || *n < 1) throw service::bad_request("'limit' must be a whole number from 1 to 200");
      limit = static_cast<int>(*n);
    }
    const auto p = service.get_project(params.get("id"));
    const std::string unique_id = params.get("unique_id");
    const auto runs = service.node_history(p.id, unique_id, limit);
    if (runs.empty()) {
      throw service::not_found("project " + common::quote(p.name) + " has no record of node " +
                               common::quote(unique_id) + " (node records: docs/runs.md)");
    }
    json list = json::array();
    for (const auto& r : runs) {
      list.push_back({{"run_id", r.run_id},
                      {"job_id", r.job_id},
                      {"job_name", r.job_name},
                      {"run_status", common::to_string(r.run_status)},
                      {"status", r.node.status},
                      {"started_at", r.node.started_at ? json(common::to_rfc3339(*r.node.started_at)) : json(nullptr)},
                      {"finished_at", r.node.finished_at ? json(common::to_rfc3339(*r.node.finished_at)) : json(nullptr)},
                      {"execution_time", r.node.execution_time ? json(*r.node.execution_time) : json(nullptr)},
                      {"message", r.node.message ? json(*r.node.message) : json(nullptr)}});
    }
    send_json(res, 200, {{"project_id", p.id},
                         {"unique_id", unique_id},
                         {"name", runs.front().node.name},
                         {"resource_type", runs.front().node.resource_type},
                         {"runs", list}});
  });
  table.add_local_only("POST", project + "/check", [&service](const Call&, httplib::Response& res, const PathParams& params) {
    send_json(res, 200, check_json(service.check_project(params.get("id"))));
  });
  table.add_local_only("DELETE", project, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    service.remove_project(params.get("id"));
    res.status = 204;
  });
}

}  // namespace dagctl::daemon::api
