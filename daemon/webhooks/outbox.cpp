#include "daemon/webhooks/outbox.hpp"

#include "common/dbt_command.hpp"
#include "common/random.hpp"
#include "daemon/webhooks/payload.hpp"

namespace dagctl::daemon::webhooks {

namespace {
store::Delivery new_delivery(const store::Job& job, const std::string& event, std::string body) {
  store::Delivery d;
  d.id = "dlv_" + common::random_base62(20);
  d.job_id = job.id;
  d.event = event;
  d.url = *job.webhook_url;
  d.body = std::move(body);
  d.created_at = d.next_attempt_at = common::now();
  return d;
}

// `dagctl ls` previews a job's selection with a `dbt ls` override: it builds nothing, so it
// tells no one (docs/webhooks.md, When a delivery is owed).
bool is_preview(const store::Run& run) {
  if (!run.command_override) return false;
  const auto words = common::split_command_words(*run.command_override);
  return words && words->size() >= 2 && ((*words)[1] == "ls" || (*words)[1] == "list");
}

std::string render(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

store::DeliveryOwed Outbox::owed_for(const store::Run& run) {
  auto job = store_.jobs().find(run.job_id);
  auto project = store_.projects().find(run.project_id);
  if (!job || !project || !job->webhook_enabled || !job->webhook_url || is_preview(run)) return {};
  return [job = *job, project = *project, org = org_](const store::Run& finished) -> std::optional<store::Delivery> {
    const auto event = event_for(finished.status);
    if (!event || !job_wants(job, *event)) return std::nullopt;
    auto body = build_body(*event, finished, job, project, org, *job.webhook_url, common::now());
    auto d = new_delivery(job, *event, render(body));
    d.run_id = finished.id;
    return d;
  };
}

store::Delivery Outbox::test_delivery(const store::Job& job, const store::Project& project) {
  store::Run sample;
  sample.id = "test-" + common::random_base62(12);
  sample.job_id = job.id;
  sample.project_id = project.id;
  sample.job_name = job.name + "-test";
  sample.status = common::RunStatus::success;
  sample.triggered_by = "manual";
  sample.command = job.command;
  sample.created_at = sample.end_time.emplace(common::now());
  sample.start_time = sample.created_at;
  const auto body = build_body("job.test", sample, job, project, org_, *job.webhook_url, common::now());
  return new_delivery(job, "job.test", render(body));
}

}  // namespace dagctl::daemon::webhooks
