#include "daemon/webhooks/payload.hpp"

#include <algorithm>
#include <regex>

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

AirflowApi airflow_api_of(const std::string& url) {
  static const std::regex kAirflow(R"(^https?://[^/]+(/.*)?/api/(v1|v2)/dags/[^/]+/dagRuns/?(\?.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kAirflow)) return AirflowApi::none;
  return m[2] == "v1" ? AirflowApi::v1 : AirflowApi::v2;
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
                   {"results", run.results}}},
                 {"project", {{"id", project.id}, {"name", project.name}, {"type", project.type}}},
                 {"organization", {{"id", org.id}, {"name", org.name}}}}}};
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

}  // namespace dagctl::daemon::webhooks
