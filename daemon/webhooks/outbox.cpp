#include "daemon/webhooks/outbox.hpp"

#include <stdexcept>

#include "common/data_dir.hpp"
#include "common/dbt_command.hpp"
#include "common/random.hpp"
#include "daemon/webhooks/assets.hpp"
#include "daemon/webhooks/lineage.hpp"
#include "daemon/webhooks/payload.hpp"
#include "daemon/webhooks/slack.hpp"

namespace dagctl::daemon::webhooks {

namespace {

// `dagctl ls` previews a job's selection with a `dbt ls` override: it builds nothing, so it
// tells no one (docs/webhooks.md, When a delivery is owed).
bool is_preview(const store::Run& run) {
  if (!run.command_override) return false;
  const auto words = common::split_command_words(*run.command_override);
  return words && words->size() >= 2 && ((*words)[1] == "ls" || (*words)[1] == "list");
}

// The webhook a finished run owes its job (none when webhooks are off, the job does not
// want the event, or the status is not terminal).
std::vector<store::Delivery> webhook_owed(const RunContext& context, const store::Run& finished) {
  const store::Job& job = context.job;
  if (!job.webhook_enabled || !job.webhook_url) return {};
  const auto event = event_for(finished.status);
  if (!event || !job_wants(job, *event)) return {};
  const auto body = build_body(*event, finished, job, context.project, context.org, *job.webhook_url, common::now());
  return {new_delivery(job, store::delivery_kind::webhook, *event, *job.webhook_url, render_body(body))};
}

// The builders of each kind, in the order their deliveries are stored.
using Builder = std::vector<store::Delivery> (*)(const RunContext&, const store::Run&);
constexpr Builder kBuilders[] = {
    webhook_owed,
    slack_owed,
    asset_owed,
    lineage_owed,
};

// Whether any builder will want the run's node records (read once, before the end): every
// kind but the webhook speaks of the run's nodes.
bool needs_nodes(const RunContext& c) {
  const bool lineage = c.project.openlineage_url ? !c.project.openlineage_url->empty()
                                                 : !c.options->openlineage_url.empty();
  return lineage || c.job.airflow_assets_url || !c.job.notifications.empty();
}

}  // namespace

store::Delivery new_delivery(const store::Job& job, const std::string& kind, const std::string& event,
                             const std::string& url, std::string body) {
  store::Delivery d;
  d.id = "dlv_" + common::random_base62(20);
  d.kind = kind;
  d.job_id = job.id;
  d.event = event;
  d.url = url;
  d.body = std::move(body);
  d.created_at = d.next_attempt_at = common::now();
  return d;
}

store::DeliveryOwed Outbox::owed_for(const store::Run& run) {
  auto job = store_.jobs().find(run.job_id);
  auto project = store_.projects().find(run.project_id);
  if (!job || !project || is_preview(run)) return {};
  RunContext context{*job, *project, org_, &options_, common::DataDir(options_.data_dir).run(run.id), {}, {}, {}};
  if (needs_nodes(context)) context.nodes = store_.nodes().list(run.id);
  if (context.job.airflow_assets_url) context.relations = read_relation_names(context.run_dir);
  if (!lineage_target(context).empty()) {
    context.manifest = std::make_shared<const LineageManifest>(read_lineage_manifest(context.run_dir + "/target/manifest.json"));
  }
  return [context = std::move(context)](const store::Run& finished) {
    std::vector<store::Delivery> owed;
    for (const Builder build : kBuilders) {
      for (auto& d : build(context, finished)) {
        d.run_id = finished.id;
        owed.push_back(std::move(d));
      }
    }
    return owed;
  };
}

store::DeliveryOwed Outbox::owed_at_start(const store::Run& run) {
  auto job = store_.jobs().find(run.job_id);
  auto project = store_.projects().find(run.project_id);
  if (!job || !project || is_preview(run)) return {};
  RunContext context{*job, *project, org_, &options_, common::DataDir(options_.data_dir).run(run.id), {}, {}, {}};
  if (lineage_target(context).empty()) return {};
  return [context = std::move(context)](const store::Run& started) {
    auto owed = lineage_started(context, started);
    for (auto& d : owed) d.run_id = started.id;
    return owed;
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
  return new_delivery(job, store::delivery_kind::webhook, "job.test", *job.webhook_url, render_body(body));
}

store::Delivery Outbox::slack_test_delivery(const store::Job& job, const store::Project& project) {
  for (const auto& n : job.notifications) {
    if (n.is_object() && n.value("kind", "") == store::delivery_kind::slack && n.contains("url") && n["url"].is_string()) {
      return new_delivery(job, store::delivery_kind::slack, "job.test", n["url"].get<std::string>(),
                          render_body(slack_test_message(job, project)));
    }
  }
  throw std::logic_error("slack_test_delivery: the job has no slack notification");
}

}  // namespace dagctl::daemon::webhooks
