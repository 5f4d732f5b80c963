// What a webhook says (docs/webhooks.md): the event a terminal status owes, whether a job
// wants it, and the body in the product page's `conf` shape, with Airflow's dagRuns
// extras when the URL is Airflow's.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/models.hpp"

namespace dagctl::daemon::webhooks {

// success -> job.completed, partial -> job.partial, failed/error -> job.failed,
// cancelled -> job.cancelled; nullopt for a status that is not terminal.
std::optional<std::string> event_for(common::RunStatus status);
// True when the job has webhooks on and `event`'s word is in webhook_events (or it is empty).
bool job_wants(const store::Job& job, const std::string& event);

enum class AirflowApi { none, v1, v2 };
// v1 for a path ending in /api/v1/dags/<dag_id>/dagRuns, v2 for /api/v2/...
AirflowApi airflow_api_of(const std::string& url);

nlohmann::json build_body(const std::string& event, const store::Run& run, const store::Job& job,
                          const store::Project& project, const store::Organization& org,
                          const std::string& url, common::TimePoint now);
// A body as stored and sent: compact, invalid UTF-8 replaced.
std::string render_body(const nlohmann::json& body);

// A stored body made for another URL, with the Airflow extras `url` needs instead (the
// job's URL changed while the delivery was owed).
nlohmann::json retarget_body(nlohmann::json body, const std::string& url);

}  // namespace dagctl::daemon::webhooks
