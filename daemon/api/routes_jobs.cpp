// A project's jobs: list, create, show, change, delete, and trigger a run.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "common/dbt_command.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/api/views.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {

// Socket callers are the owner; TCP callers hold a token (docs/commands.md, who may run what).
common::Trust trust_of(const Call& call) { return call.owner ? common::Trust::owner : common::Trust::token; }

std::optional<store::RunBrief> last_run_of(const std::map<std::string, store::RunBrief>& last, const std::string& job_id) {
  const auto it = last.find(job_id);
  return it == last.end() ? std::nullopt : std::optional<store::RunBrief>(it->second);
}

json with_last_run(service::Service& service, const store::Job& job) {
  return job_json(job, last_run_of(service.last_runs(job.project_id, job.id), job.id));
}

}  // namespace

void register_job_routes(RouteTable& table, service::Service& service) {
  // {id} is the project's: the name docs/openapi.yaml gives it.
  const std::string jobs = "/api/v1/projects/{id}/jobs";
  const std::string job = jobs + "/{job_id}";
  table.add("GET", jobs, Scope::read, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    json list = json::array();
    const auto found = service.list_jobs(params.get("id"));
    const auto last = found.empty() ? std::map<std::string, store::RunBrief>{} : service.last_runs(found.front().project_id);
    for (const auto& j : found) list.push_back(job_json(j, last_run_of(last, j.id)));
    send_json(res, 200, {{"jobs", list}});
  });
  table.add("POST", jobs, Scope::admin, [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    const auto created = service.create_job(params.get("id"), *json_body(call, true), trust_of(call));
    send_json(res, 201, job_json(created, std::nullopt));
  });
  table.add("GET", job, Scope::read, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    send_json(res, 200, with_last_run(service, service.get_job(params.get("id"), params.get("job_id"))));
  });
  table.add("PATCH", job, Scope::admin, [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    send_json(res, 200, with_last_run(service, service.update_job(params.get("id"), params.get("job_id"),
                                                                  *json_body(call, true), trust_of(call))));
  });
  table.add("DELETE", job, Scope::admin, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    service.delete_job(params.get("id"), params.get("job_id"));
    res.status = 204;
  });
  table.add("POST", job + "/trigger", Scope::trigger,
            [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    std::optional<std::string> override_command;
    bool defer_to_last_success = false;
    if (auto body = json_body(call, false)) {
      reject_unknown_fields(*body, {"command_override", "defer_to_last_success"});
      if (body->contains("defer_to_last_success") && !(*body)["defer_to_last_success"].is_null()) {
        if (!(*body)["defer_to_last_success"].is_boolean()) {
          throw service::bad_request("field 'defer_to_last_success' must be true or false");
        }
        defer_to_last_success = (*body)["defer_to_last_success"].get<bool>();
      }
      if (body->contains("command_override") && !(*body)["command_override"].is_null()) {
        if (!(*body)["command_override"].is_string()) {
          throw service::bad_request("field 'command_override' must be a string such as \"dbt build --select my_model+\"");
        }
        override_command = (*body)["command_override"].get<std::string>();
      }
    }
    const auto run = service.trigger(params.get("id"), params.get("job_id"), override_command, "manual", trust_of(call),
                                     defer_to_last_success);
    send_json(res, 200, {{"message", "DBT job run triggered successfully"},
                         {"job_run_id", run.id},
                         {"job_id", run.job_id},
                         {"job_name", run.job_name}});
  });
}

}  // namespace dagctl::daemon::api
