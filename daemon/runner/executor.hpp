// RunExecutor: carries one run from "started" to its Outcome. An interface so the
// dispatcher's queueing can be unit-tested with a fake; DbtExecutor is the real one.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/data_dir.hpp"
#include "common/fd.hpp"
#include "daemon/runner/outcome.hpp"
#include "daemon/runner/progress.hpp"
#include "daemon/runner/warm/pool.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::runner {

// Lets another thread stop a run. The first reason wins; the executor waits on fd().
class RunControl {
public:
  RunControl();
  void request_stop(StopReason reason);
  StopReason reason() const { return reason_.load(); }
  int fd() const { return event_.get(); }

private:
  std::atomic<StopReason> reason_{StopReason::none};
  common::Fd event_;  // an eventfd, readable once a stop was requested
};

struct RunContext {
  store::Run run;
  store::Project project;
  store::Job job;
};

struct RunCallbacks {
  std::function<void(int pid, std::int64_t start_ticks)> on_started;
  std::function<void(Progress)> on_progress;
  // Node records (docs/runs.md, Node records): each poll's new ones, then run_results.json's.
  // False when they could not be stored: the same records come again with the next batch.
  std::function<bool(const std::vector<store::NodeRecord>&)> on_nodes;
};

class RunExecutor {
public:
  virtual ~RunExecutor() = default;
  virtual Outcome execute(const RunContext& context, RunControl& control,
                          const RunCallbacks& callbacks) = 0;
};

struct DbtExecutorOptions {
  std::string data_dir;
  std::string default_dbt = "dbt";
  std::string default_sqlmesh = "sqlmesh";  // SQLMesh projects' (docs/sqlmesh.md)
  // After SIGINT, how long dbt gets to cancel its queries before SIGTERM; SIGKILL follows
  // after the same time again.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
  // The sandbox (docs/sandbox.md): runs go through this bwrap when it is set.
  std::string bwrap;
  std::string socket_path;                 // hidden from runs
  std::vector<std::string> sandbox_writable;  // --sandbox-writable
  // Variables of the daemon's environment that runs get beside the allowlist (--pass-env).
  std::vector<std::string> pass_env;
  // The id of a job's newest successful run (--defer's state), nullopt when it has none.
  std::function<std::optional<std::string>(const std::string& job_id)> newest_successful_run;
  // A run's stored node records, for `dbt retry` of a run that left no run_results.json.
  std::function<std::vector<store::NodeRecord>(const std::string& run_id)> stored_nodes;
  // A run's command, for the same.
  std::function<std::optional<std::string>(const std::string& run_id)> run_command;
  // Warm dbt workers (docs/runs.md#warm-workers); null: every run starts dbt cold.
  warm::Pool* warm_pool = nullptr;
  // Projects from git (docs/api.md#projects-from-git): each git command's bound, and where
  // the commit a run checked out is stored before dbt starts (throws when it cannot be).
  std::chrono::milliseconds git_timeout{std::chrono::minutes(5)};
  std::function<void(const std::string& run_id, const std::string& commit)> record_git_commit;
};

class DbtExecutor : public RunExecutor {
public:
  explicit DbtExecutor(DbtExecutorOptions options) : options_(std::move(options)) {}
  Outcome execute(const RunContext& context, RunControl& control,
                  const RunCallbacks& callbacks) override;

private:
  // Writes target/run_results.json for `dbt retry` from the failed run's node records.
  void write_retry_results(const std::string& failed_run_id, const std::string& target,
                           const std::string& log_path) const;
  DbtExecutorOptions options_;
};

// A run's environment (docs/sandbox.md): `inherited` (the daemon's allowlisted variables),
// then the project's --env, then what dagctl must control (DBT_TARGET_PATH, DAGCTL_RUN_ID...).
std::vector<std::string> child_environment(std::map<std::string, std::string> inherited, const RunContext& c,
                                           const common::DataDir& layout);
// The same with dbt's target and log folders elsewhere (a warm run writes in the worker's folder).
std::vector<std::string> child_environment(std::map<std::string, std::string> inherited, const RunContext& c,
                                           const std::string& target_dir, const std::string& logs_dir);

// How the kernel would start dbt: the interpreter of its `#!` line (and its one argument),
// or why dbt cannot run in a warm worker (a native binary such as dbt Fusion, a shell script).
std::variant<std::vector<std::string>, std::string> python_of(const std::string& dbt_path);

// `dbt ... --defer` needs an earlier run's state. With `state_dir`, "--state DIR" follows
// --defer; without, --defer and --favor-state are dropped, since dbt refuses to run. False
// (and `argv` unchanged) when the command does not defer or names its own state.
bool resolve_defer(std::vector<std::string>& argv, const std::optional<std::string>& state_dir);

}  // namespace dagctl::daemon::runner
