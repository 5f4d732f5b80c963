#include "daemon/service/service.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/data_dir.hpp"
#include "common/command.hpp"
#include "common/limits.hpp"
#include "common/random.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/schedule/cron.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/field_checks.hpp"
#include "daemon/service/job_fields.hpp"
#include "daemon/webhooks/signing.hpp"

namespace dagctl::daemon::service {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Job fields checked as Service checks them: the command by the grammar of the project's
// type (dbt's or SQLMesh's), webhook targets by the daemon's flags and its own address.
JobFieldRules job_field_rules(const DaemonInfo& info, common::Trust trust, const std::string& project_type) {
  JobFieldRules rules;
  rules.check_command = [trust, project_type](const std::string& command) {
    auto words = common::validate_command(project_type, command, "command", trust);
    if (!words) throw bad_request(words.error());
  };
  rules.targets = webhooks::make_policy(info.allow_webhook_link_local, info.http);
  return rules;
}

}  // namespace

Service::Service(store::Store& store, runner::Dispatcher& dispatcher, webhooks::Outbox& outbox, DaemonInfo info)
    : store_(store),
      dispatcher_(dispatcher),
      outbox_(outbox),
      info_(std::move(info)),
      org_(store.projects().default_organization()) {}

std::string Service::webhook_secret(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  if (!job.webhook_secret) {
    throw not_found("job '" + job.name + "' has no webhook yet; set one with dagctl job update JOB --webhook-url URL");
  }
  return *job.webhook_secret;
}

std::string Service::rotate_webhook_secret(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  if (!job.webhook_url) {
    throw not_found("job '" + job.name + "' has no webhook; set one with dagctl job update JOB --webhook-url URL");
  }
  const auto secret = webhooks::generate_secret();
  // The sender reads the secret at each attempt: pending deliveries are signed with the new one.
  const auto rotate = [&](store::Job& j) {
    j.webhook_secret = secret;
    j.updated_at = common::now();
  };
  store_call([&] { return store_.jobs().update(job.id, rotate); });
  return secret;
}

std::vector<store::Delivery> Service::deliveries(const std::string& project_id, const std::string& job_id, int limit) {
  return store_.deliveries().list(get_job(project_id, job_id).id, limit);
}

store::Delivery Service::redeliver(const std::string& delivery_id) {
  const auto existing = store_.deliveries().find(delivery_id);
  if (!existing) throw not_found("no delivery " + common::quote(delivery_id) + "; list them with dagctl webhook deliveries JOB");
  if (existing->status == "pending") {
    throw conflict("delivery " + delivery_id + " is still pending (being sent or waiting for its retry); "
                   "resend it once it is delivered or failed");
  }
  store_call([&] { return store_.deliveries().requeue(delivery_id, common::now()); });
  outbox_.notify();
  return *store_.deliveries().find(delivery_id);
}

store::Delivery Service::test_webhook(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  if (!job.webhook_url) {
    throw conflict("job '" + job.name + "' has no webhook_url; set one with dagctl job update JOB --webhook-url URL");
  }
  const auto delivery = outbox_.test_delivery(job, get_project(project_id));
  store_call([&] { store_.deliveries().insert(delivery); });
  outbox_.notify();
  return delivery;
}

store::Delivery Service::test_slack(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  const bool has_slack = std::any_of(job.notifications.begin(), job.notifications.end(), [](const auto& n) {
    return n.is_object() && n.value("kind", "") == store::delivery_kind::slack;
  });
  if (!has_slack) {
    throw conflict("job '" + job.name + "' has no slack notification; add one with dagctl job update JOB --slack URL");
  }
  const auto delivery = outbox_.slack_test_delivery(job, get_project(project_id));
  store_call([&] { store_.deliveries().insert(delivery); });
  outbox_.notify();
  return delivery;
}

std::vector<store::Job> Service::list_jobs(const std::string& project_id) {
  return store_.jobs().list(get_project(project_id).id);
}

store::Job Service::get_job(const std::string& project_id, const std::string& job_id) {
  const auto project = get_project(project_id);
  auto job = store_.jobs().find(job_id);
  if (!job) job = store_.jobs().find_by_name(project.id, job_id);
  if (!job || job->project_id != project.id) {
    throw not_found("project '" + project.name + "' has no job " + common::quote(job_id) +
                    "; list them with dagctl job list --project " + project.name);
  }
  return *job;
}

store::Job Service::create_job(const std::string& project_id, const json& fields, common::Trust trust) {
  const auto project = get_project(project_id);
  if (!fields.is_object() || !fields.contains("name") || !fields.contains("command")) {
    throw bad_request("a new job needs 'name' and 'command', e.g. {\"name\": \"nightly\", \"command\": \"dbt build\"}");
  }
  store::Job job;
  apply_job_fields(job, fields, job_field_rules(info_, trust, project.type));
  job.id = common::uuid4();
  job.project_id = project.id;
  job.created_at = job.updated_at = common::now();
  job.schedule_checked_at = job.created_at;  // no fire time before the job existed
  store_call([&] { store_.jobs().create(job); });
  jobs_changed();
  return job;
}

store::Job Service::update_job(const std::string& project_id, const std::string& job_id,
                               const json& fields, common::Trust trust) {
  const store::Job found = get_job(project_id, job_id);
  const auto rules = job_field_rules(info_, trust, get_project(project_id).type);
  store::Job checked = found;
  apply_job_fields(checked, fields, rules);  // a bad field answers 400 without waiting for the write lock
  // Read, changed and written in one transaction: a concurrent PATCH of other fields, or
  // the scheduler's progress, is never undone.
  const auto edit = [&](store::Job& job) {
    const store::Job before = job;
    apply_job_fields(job, fields, rules);
    job.updated_at = common::now();
    // The scheduler owns schedule_checked_at and last_fire_*; a new schedule, zone or
    // re-enabling starts them afresh (no catch-up for fire times of the old settings).
    if (job.schedule != before.schedule || job.timezone != before.timezone || (job.enabled && !before.enabled)) {
      job.schedule_checked_at = job.updated_at;
    }
  };
  auto job = store_call([&] { return store_.jobs().update(found.id, edit); });
  jobs_changed();
  return job;
}

void Service::delete_job(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  store_call([&] { store_.jobs().remove(job.id); });
  jobs_changed();
}

store::Run Service::trigger(const std::string& project_id, const std::string& job_id,
                            const std::optional<std::string>& command_override,
                            const std::string& triggered_by, common::Trust trust, bool defer_to_last_success) {
  const auto job = get_job(project_id, job_id);
  const std::string type = get_project(project_id).type;
  std::optional<std::string> command = command_override;
  if (command) {
    auto words = common::validate_command(type, *command, "command_override", trust);
    if (!words) throw bad_request(words.error());
  }
  if (defer_to_last_success && type != "dbt") {
    throw bad_request("defer_to_last_success: it is dbt's --defer, which SQLMesh has no use for (its "
                      "environments do that job)");
  }
  if (defer_to_last_success) command = with_defer(job, command);
  return enqueue(job, triggered_by, command.value_or(job.command), command, std::nullopt);
}

// The command plus --defer; the executor follows it with --state and the folder of the
// job's newest successful run (docs/commands.md, "--defer").
std::string Service::with_defer(const store::Job& job, const std::optional<std::string>& command_override) {
  if (!store_call([&] { return store_.runs().newest_successful(job.id); })) {
    throw conflict("defer_to_last_success: job " + common::quote(job.name) +
                   " has no successful run to defer to; run it once without it first");
  }
  auto words = common::split_command_words(command_override.value_or(job.command));
  if (!words) throw bad_request("command: " + words.error());
  std::vector<std::string> argv = std::move(words).value();
  if (std::find(argv.begin(), argv.end(), "--defer") == argv.end()) argv.push_back("--defer");
  return common::join_command_words(argv);
}

store::Run Service::new_run(const store::Job& job, const std::string& triggered_by, const std::string& command,
                            const std::optional<std::string>& command_override,
                            const std::optional<std::string>& retry_of) {
  store::Run run;
  run.id = common::uuid4();
  run.job_id = job.id;
  run.project_id = job.project_id;
  run.created_at = common::now();
  run.job_name = job.name + "-" + triggered_by + "-" + common::to_compact_stamp(run.created_at);
  run.status = common::RunStatus::queued;
  run.triggered_by = triggered_by;
  run.command = command;
  run.command_override = command_override;
  run.retry_of = retry_of;
  return run;
}

store::Run Service::enqueue(const store::Job& job, const std::string& triggered_by, const std::string& command,
                            const std::optional<std::string>& command_override,
                            const std::optional<std::string>& retry_of) {
  auto run = new_run(job, triggered_by, command, command_override, retry_of);
  // A retry runs the commit its source ran (docs/api.md#projects-from-git).
  if (retry_of) {
    if (const auto source = store_call([&] { return store_.runs().find(*retry_of); })) run.git_commit = source->git_commit;
  }
  store_call([&] { store_.runs().insert(run, kMaxQueuedPerJob); });
  dispatcher_.wake();
  return run;
}

store::Run Service::get_run(const std::string& run_id) {
  auto run = store_.runs().find(run_id);
  if (!run) throw not_found("no run " + common::quote(run_id) + "; list runs with dagctl runs");
  return *run;
}

UserError Service::kept_elsewhere(const store::Run& run, const std::string& what) const {
  const std::string id = run.daemon_id.value_or("");
  std::string where = "daemon " + id;
  try {
    const auto daemons = info_.daemons ? info_.daemons() : std::vector<store::DaemonRecord>{};
    const auto it = std::find_if(daemons.begin(), daemons.end(), [&](const auto& d) { return d.id == id; });
    if (it == daemons.end()) {
      where += " (stopped now)";
    } else {
      where += " on " + it->host + (it->api.empty() ? " (its REST API is off)" : ", REST API http://" + it->api);
    }
  } catch (const std::exception&) {
    // The store is away: the daemon's id alone still says where to look.
  }
  return conflict("run " + run.id + " ran on " + where + ": " + what + " are kept in that daemon's data dir; ask "
                  "that daemon (docs/scale-out.md#logs-and-artifacts)");
}

std::optional<runner::Progress> Service::progress(const store::Run& run) {
  if (run.status == common::RunStatus::queued) return dispatcher_.queued_progress(run);
  if (run.status != common::RunStatus::running) return std::nullopt;
  if (auto p = dispatcher_.progress(run.id)) return p;
  runner::Progress p;
  if (ran_elsewhere(run)) {
    // What its daemon last stored (docs/scale-out.md#logs-and-artifacts); starting until then.
    if (run.progress_json) return runner::progress_from_stored(*run.progress_json).value_or(p);
    return p;
  }
  p.phase = runner::Phase::finishing;  // it ended here since the caller read it
  return p;
}

store::Run Service::cancel_run(const std::string& run_id) {
  const auto run = get_run(run_id);
  if (!common::is_terminal(run.status)) store_call([&] { dispatcher_.cancel(run_id); });
  return get_run(run_id);
}

store::Run Service::retry_run(const std::string& run_id) {
  const auto failed = get_run(run_id);
  if (failed.status != common::RunStatus::failed && failed.status != common::RunStatus::partial &&
      failed.status != common::RunStatus::error) {
    throw conflict("run " + run_id + " is " + std::string(common::to_string(failed.status)) +
                   "; only a failed, partial or error run can be retried");
  }
  const auto job = store_.jobs().find(failed.job_id);
  if (!job) throw not_found("the job of run " + run_id + " was deleted");
  // SQLMesh keeps which intervals are done in its state: the same command again evaluates
  // what is still missing, the failed models first among them (docs/sqlmesh.md, Retry).
  if (get_project(failed.project_id).type == "sqlmesh") {
    return enqueue(*job, "retry", failed.command, failed.command_override, failed.id);
  }
  // Without run_results.json, dbt retry resumes from the run's node records (docs/runs.md,
  // Node records), which need the manifest dbt wrote before it ran any node.
  const std::string target = common::DataDir(info_.data_dir).run_target(run_id);
  if (!fs::exists(target + "/run_results.json") &&
      (!fs::exists(target + "/manifest.json") || store_call([&] { return store_.nodes().list(run_id); }).empty())) {
    throw conflict("run " + run_id +
                   " left no run_results.json and no node records, so dbt retry has nothing to resume; trigger the "
                   "job again instead");
  }
  return enqueue(*job, "retry", "dbt retry", std::nullopt, failed.id);
}

}  // namespace dagctl::daemon::service
