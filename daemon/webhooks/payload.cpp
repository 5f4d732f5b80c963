#include "daemon/webhooks/payload.hpp"

#include <algorithm>
#include <string_view>

#include "common/time.hpp"

namespace dagctl::daemon::webhooks {

using nlohmann::json;

std::optional<std::string> event_for(common::RunStatus status) {
  switch (status) {
    case common::RunStatus::success: return "job.completed";
    case common::RunStatus::partial: return "job.partial";
    case common::RunStatus::failed:
    case common::RunStatus::error: return "job.failed";
    case common::RunStatus::cancelled: return "job.cancelled";
    default: return std::nullopt;
  }
}

bool job_wants(const store::Job& job, const std::string& event) {
  if (!job.webhook_enabled || !job.webhook_url) return false;
  if (job.webhook_events.empty()) return true;
  const std::string word = event.substr(event.find('.') + 1);
  return std::find(job.webhook_events.begin(), job.webhook_events.end(), word) != job.webhook_events.end();
}

// By hand, not std::regex: a stored URL of any length must not exhaust the stack.
AirflowApi airflow_api_of(const std::string& url) {
  const std::string_view text = url;
  const std::size_t scheme = text.rfind("https://", 0) == 0 ? 8 : text.rfind("http://", 0) == 0 ? 7 : 0;
  if (scheme == 0) return AirflowApi::none;
  const auto slash = text.find('/', scheme);
  if (slash == std::string_view::npos || slash == scheme) return AirflowApi::none;
  std::string_view path = text.substr(slash, text.find('?', slash) - slash);  // .../api/vN/dags/ID/dagRuns[/]
  if (path.ends_with("/")) path.remove_suffix(1);
  if (!path.ends_with("/dagRuns")) return AirflowApi::none;
  path.remove_suffix(8);
  const auto id = path.rfind('/');
  if (id == std::string_view::npos || id + 1 == path.size()) return AirflowApi::none;
  path = path.substr(0, id);
  if (path.ends_with("/api/v1/dags")) return AirflowApi::v1;
  if (path.ends_with("/api/v2/dags")) return AirflowApi::v2;
  return AirflowApi::none;
}

json build_body(const std::string& event, const store::Run& run, const store::Job& job,
                const store::Project& project, const store::Organization& org,
                const std::string& url, common::TimePoint now) {
  auto time_or_null = [](const std::optional<common::TimePoint>& t) {
    return t ? json(common::to_rfc3339(*t)) : json(nullptr);
  };
  json duration = nullptr;
  if (run.start_time && run.end_time) {
    duration = static_cast<double>(common::to_millis(*run.end_time) - common::to_millis(*run.start_time)) / 1000.0;
  }
  json body = {{"conf",
                {{"event", event},
                 {"timestamp", common::to_rfc3339(now)},
                 {"job", {{"id", job.id}, {"name", job.name}, {"command", job.command}}},
                 {"job_run",
                  {{"id", run.id},
                   {"status", common::to_string(run.status)},
                   {"triggered_by", run.triggered_by},
                   {"start_time", time_or_null(run.start_time)},
                   {"end_time", time_or_null(run.end_time)},
                   {"duration_seconds", duration},
                   {"command_override", run.command_override ? json(*run.command_override) : json(nullptr)},
                   {"error_message", run.error_message ? json(*run.error_message) : json(nullptr)},
                   {"results", run.results},
                   {"nothing_selected", run.nothing_selected}}},
                 {"project", {{"id", project.id}, {"name", project.name}, {"type", project.type}}},
                 {"organization", {{"id", org.id}, {"name", org.name}}}}}};
  // Only a project from git's runs carry it: other payloads stay as they were (docs/webhooks.md).
  if (run.git_commit) body["conf"]["job_run"]["git_commit"] = *run.git_commit;
  return retarget_body(std::move(body), url);
}

json retarget_body(json body, const std::string& url) {
  body.erase("dag_run_id");
  body.erase("logical_date");
  const auto airflow = airflow_api_of(url);
  if (airflow != AirflowApi::none) {
    // A fixed dag_run_id makes a redelivery a 409 in Airflow instead of a second DAG run.
    body["dag_run_id"] = "dagctl__" + body["conf"]["job_run"]["id"].get<std::string>();
  }
  if (airflow == AirflowApi::v2) body["logical_date"] = nullptr;  // Airflow 3 requires the key
  return body;
}

std::string render_body(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace dagctl::daemon::webhooks
