// Service: what the daemon can do, independent of HTTP. The API layer parses requests,
// calls one method, and renders the answer; all rules (validation, naming, queueing)
// live here so the socket, TCP and tests see one behaviour.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/dbt_command.hpp"
#include "daemon/runner/dispatcher.hpp"
#include "daemon/runner/git_checkout.hpp"
#include "daemon/runner/warm/worker_info.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/project_check.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"

namespace dagctl::daemon::service {

struct ProjectSpec {
  std::string path;
  std::optional<std::string> name;
  std::string profiles_dir;
  std::string target;
  std::string dbt;
  std::string sqlmesh;                // a SQLMesh project's executable (docs/sqlmesh.md)
  std::optional<std::string> type;    // "dbt" or "sqlmesh"; nullopt: told by the folder's files
  std::map<std::string, std::string> env;
  bool warm = true;   // runs may use a warm dbt worker (docs/runs.md#warm-workers)
  bool check = true;  // run the project checks first (docs/api.md, Project checks)
  std::optional<std::string> openlineage_url;  // nullopt: the daemon's; "": none (docs/openlineage.md)
  // A project from git instead of a folder (docs/api.md#projects-from-git): its URL, the
  // ref its runs follow ("": the remote's HEAD branch) and the project's folder inside it.
  std::string git_url;
  std::string git_ref;
  std::string git_subdir;
  // A folder project on a daemon with a shared store: the path exists on every daemon.
  bool on_every_daemon = false;
};

// A PATCH of a project: what is set changes; an empty profiles_dir, target or dbt goes
// back to the default; `env` sets variables, and a nullopt value removes one.
struct ProjectPatch {
  std::optional<std::string> path, name, profiles_dir, target, dbt, sqlmesh;
  std::optional<std::string> type;  // only the project's own: a type never changes
  std::map<std::string, std::optional<std::string>> env;
  std::optional<bool> warm;
  bool check = true;
  std::optional<std::optional<std::string>> openlineage_url;  // given: the new value (nullopt: the daemon's)
  std::optional<std::string> git_ref, git_subdir;  // a project from git's; "": the default
};

struct DaemonInfo {
  std::string version;
  int pid = 0;
  std::string socket;
  std::string http;  // empty when there is no TCP listener
  std::string data_dir;
  int keep_days = 0;  // retention in effect (0: no bound)
  int keep_runs = 0;
  bool allow_webhook_link_local = false;  // --allow-webhook-link-local (docs/webhooks.md)
  // Whether runs are sandboxed (docs/sandbox.md): --sandbox, and what start-up found.
  std::string sandbox_mode = "off";
  bool sandbox_active = false;
  std::string sandbox_detail = "";
  // Warm dbt workers (docs/runs.md#warm-workers): --warm, --warm-idle, and what each
  // project's worker is doing now; the daemon sets warm_workers to its pool's describe().
  std::string warm_mode = "on";
  std::int64_t warm_idle_seconds = 300;
  std::function<std::vector<runner::warm::WorkerInfo>()> warm_workers = [] {
    return std::vector<runner::warm::WorkerInfo>{};
  };
  // What project checks run as a run would: the daemon's --dbt and --pass-env.
  std::string default_dbt = "dbt";
  std::string default_sqlmesh = "sqlmesh";
  std::vector<std::string> pass_env{};
  // Every setting by its flag's name, and where each came from (docs/daemon.md).
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json settings_from = nlohmann::json::object();
  std::string config_file = "";  // empty when none was read
  // GET /metrics's text (docs/metrics.md); the daemon sets it to its scraper's render().
  std::function<std::string()> metrics_text = nullptr;
  // Several daemons on one database (docs/runs.md, Several daemons): this daemon's id, its
  // --lease-seconds, and the daemons sharing the database (the daemon sets it to the store's list).
  std::string daemon_id = "";
  int lease_seconds = 30;
  std::function<std::vector<store::DaemonRecord>()> daemons = nullptr;
  // Each git command's bound when a project from git is registered or changed.
  std::chrono::milliseconds git_timeout{std::chrono::minutes(5)};
};

// The most runs one job may have waiting; one more trigger answers 429.
constexpr int kMaxQueuedPerJob = 100;

class Service {
public:
  Service(store::Store& store, runner::Dispatcher& dispatcher, webhooks::Outbox& outbox, DaemonInfo info);

  const DaemonInfo& info() const { return info_; }
  // Called after a job is created, changed or deleted, or a project is deleted (the
  // scheduler looks again; retention removes the folders of deleted runs).
  void set_jobs_changed_listener(std::function<void()> listener) { jobs_changed_ = std::move(listener); }
  store::Organization organization() const { return org_; }
  store::RunCounts run_counts() { return store_.runs().count_active(); }

  // Refuses (400 check_failed) when spec.check and a project check fails.
  store::Project add_project(const ProjectSpec& spec);
  // Validated like add_project, checked again unless patch.check is false; read, changed
  // and written in one transaction.
  store::Project update_project(const std::string& id_or_name, const ProjectPatch& patch);
  // The project checks of a registered project (they spawn `dbt --version`: seconds).
  CheckReport check_project(const std::string& id_or_name);
  std::vector<store::Project> list_projects() { return store_.projects().list(); }
  store::Project get_project(const std::string& id_or_name);
  void remove_project(const std::string& id_or_name);

  std::vector<store::Job> list_jobs(const std::string& project_id);
  store::Job get_job(const std::string& project_id, const std::string& job_id);
  // Each job's newest run by job id (docs/api.md, Jobs: last_run): every job of the
  // project (a resolved id), or only `job_id`. One query, whatever the number of jobs.
  std::map<std::string, store::RunBrief> last_runs(const std::string& project_id,
                                                   const std::optional<std::string>& job_id = std::nullopt) {
    return store_.runs().last_runs(project_id, job_id);
  }
  // `fields` is a JSON object of job fields (docs/api.md); unknown fields are rejected.
  // `trust`: Trust::owner when the caller came over the Unix socket (docs/commands.md).
  store::Job create_job(const std::string& project_id, const nlohmann::json& fields,
                        common::Trust trust = common::Trust::token);
  store::Job update_job(const std::string& project_id, const std::string& job_id,
                        const nlohmann::json& fields, common::Trust trust = common::Trust::token);
  void delete_job(const std::string& project_id, const std::string& job_id);

  // A queued run of `job` triggered by the schedule, not stored yet: the scheduler stores
  // it together with its fire time (docs/schedules.md).
  static store::Run scheduled_run(const store::Job& job) {
    return new_run(job, "schedule", job.command, std::nullopt, std::nullopt);
  }
  // A run was stored outside trigger (a scheduled one): the dispatcher looks at once.
  void run_queued() { dispatcher_.wake(); }
  // Queues a run durably and wakes the dispatcher. Throws UserError 400 on a bad override,
  // 429 when the job's queue is full. `defer_to_last_success` adds --defer to the command
  // (the executor passes the newest successful run's state); 409 when the job has none.
  store::Run trigger(const std::string& project_id, const std::string& job_id,
                     const std::optional<std::string>& command_override,
                     const std::string& triggered_by, common::Trust trust = common::Trust::token,
                     bool defer_to_last_success = false);
  store::Run get_run(const std::string& run_id);
  std::vector<store::Run> list_runs(const store::RunFilter& filter) { return store_.runs().list(filter); }
  // Node records (docs/runs.md, Node records).
  std::vector<store::NodeRecord> run_nodes(const std::string& run_id, const std::vector<std::string>& statuses) {
    return store_call([&] { return store_.nodes().list(run_id, statuses); });
  }
  std::map<std::string, store::NodeSummary> node_summaries(const std::vector<std::string>& run_ids) {
    return store_call([&] { return store_.nodes().summaries(run_ids); });
  }
  std::vector<store::NodeRun> node_history(const std::string& project_id, const std::string& unique_id, int limit) {
    return store_call([&] { return store_.nodes().history(project_id, unique_id, limit); });
  }
  store::Run cancel_run(const std::string& run_id);
  store::Run retry_run(const std::string& run_id);
  // Webhooks (docs/webhooks.md).
  std::string webhook_secret(const std::string& project_id, const std::string& job_id);
  // A new signing secret; signatures made with the old one stop verifying. 404 without a URL.
  std::string rotate_webhook_secret(const std::string& project_id, const std::string& job_id);
  std::vector<store::Delivery> deliveries(const std::string& project_id, const std::string& job_id, int limit);
  std::vector<store::DeliveryAttempt> delivery_attempts(const std::string& delivery_id) {
    return store_.deliveries().attempts(delivery_id);
  }
  // Sends a delivery again, with the same id.
  store::Delivery redeliver(const std::string& delivery_id);
  // Queues a job.test event to the job's URL.
  store::Delivery test_webhook(const std::string& project_id, const std::string& job_id);
  // A test message to the job's slack notification (docs/notifications.md, Testing).
  store::Delivery test_slack(const std::string& project_id, const std::string& job_id);

  // nullopt when there is no such run (get_run throws 404 instead).
  std::optional<store::Run> find_run(const std::string& run_id) { return store_.runs().find(run_id); }
  // What a queued or running run is doing (docs/runs.md, Progress); nullopt once it ended.
  std::optional<runner::Progress> progress(const store::Run& run);
  std::optional<runner::Progress> progress(const std::string& run_id) {
    const auto run = store_.runs().find(run_id);
    return run ? progress(*run) : std::nullopt;
  }
  // A run that ran, or runs, on another daemon sharing the store (docs/scale-out.md#logs-and-artifacts).
  bool ran_elsewhere(const store::Run& run) const {
    return run.daemon_id && !run.daemon_id->empty() && *run.daemon_id != info_.daemon_id;
  }
  // Up to `max_bytes` of the run's log from byte `from`, as its daemon stored it.
  std::string stored_log(const std::string& run_id, std::uint64_t from, std::size_t max_bytes) {
    return store_call([&] { return store_.logs().read(run_id, from, max_bytes); });
  }
  // 409 for what only the daemon that ran `run` keeps (`what`: "its artifacts"), naming
  // that daemon and where its API answers.
  UserError kept_elsewhere(const store::Run& run, const std::string& what) const;
  // For log followers: how many runs have ended, and a wait for the next one to end.
  runner::RunEnds& run_ends() {
    return dispatcher_.run_ends();
  }

private:
  // A project from git (docs/api.md#projects-from-git).
  store::Project add_git_project(const ProjectSpec& spec);
  std::string checkout_dir(const std::string& project_id) const;
  // Fetches and checks out the project's ref into `dir`; 400 naming git's message.
  runner::git::Checkout sync_checkout(const store::Project& project, const std::string& dir) const;
  // The project as a run would see it, for the project checks.
  CheckSubject check_subject(const store::Project& project) const;
  // 400 check_failed naming what failed, unless `check` is false.
  void require_checks(const store::Project& project, bool check, const std::string& skip_hint) const;

  bool others_share_the_store() const;
  void refuse_taken_name(const std::string& name);
  void create_with_default_job(const store::Project& project);
  static store::Run new_run(const store::Job& job, const std::string& triggered_by, const std::string& command,
                            const std::optional<std::string>& command_override,
                            const std::optional<std::string>& retry_of);
  // Stores a queued run of `job` (429 when its queue is full) and wakes the dispatcher.
  std::string with_defer(const store::Job& job, const std::optional<std::string>& command_override);
  store::Run enqueue(const store::Job& job, const std::string& triggered_by, const std::string& command,
                     const std::optional<std::string>& command_override,
                     const std::optional<std::string>& retry_of);

  store::Store& store_;
  runner::Dispatcher& dispatcher_;
  webhooks::Outbox& outbox_;
  DaemonInfo info_;
  store::Organization org_;
  std::function<void()> jobs_changed_;

  void jobs_changed() const {
    if (jobs_changed_) jobs_changed_();
  }
};

}  // namespace dagctl::daemon::service
