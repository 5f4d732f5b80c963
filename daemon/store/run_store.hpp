// Runs: the queue, their lives (queued -> running -> a terminal status) and retention.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"
#include "daemon/store/owner.hpp"

namespace dagctl::daemon::store {

struct RunCounts {
  int queued = 0;
  int running = 0;
};

// Builds the webhook a finished run owes, if any. Called inside finish's transaction with
// the run as stored: it must not call the store.
using DeliveryOwed = std::function<std::vector<Delivery>(const Run& finished)>;

// What a claim of a queued run came to (docs/runs.md, Several daemons).
enum class Claim {
  started,       // running now, on this daemon
  gone,          // no longer queued: cancelled, or claimed by another daemon
  project_busy,  // a run of its project runs (on another daemon)
  system_full,   // --system-max-parallel runs run across the daemons
};

// A run whose daemon stopped renewing its lease (docs/runs.md, Several daemons).
struct LostRun {
  Run run;
  std::string daemon_id;
  std::string host;  // "" when the daemon never registered
};

class RunStore {
public:
  // Claims, ends and lease renewals act for `owner`'s daemon (owner.hpp).
  RunStore(Connection& db, const Owner& owner) : db_(db), owner_(owner) {}

  // Stores a queued run; when this returns the trigger survives any crash.
  // Refuses (queue_full) when `max_queued_per_job` runs of that job are already queued,
  // and (not_found) a retry whose source run was deleted meanwhile.
  void insert(const Run& run, int max_queued_per_job);
  // insert inside the caller's transaction (a scheduled run and its job's schedule progress).
  static void insert(WriteTx& tx, const Run& run, int max_queued_per_job);
  std::optional<Run> find(const std::string& id);
  std::vector<Run> list(const RunFilter& filter);
  // The statement list() runs (named parameters), for tests of its query plan.
  static std::string list_query(const RunFilter& filter);
  // Each job's newest run, by job id: of one job, or (job_id nullopt) of every job of the
  // project. One statement; each job's row is one seek in runs_by_job.
  std::map<std::string, RunBrief> last_runs(const std::string& project_id, const std::optional<std::string>& job_id);
  std::vector<Run> with_status(RunStatus status);
  // What the dispatcher may start next: the oldest queued run of each project not in
  // `skip_projects`, oldest first, at most `limit`. Reads one row per project with queued
  // runs, however long the queue.
  std::vector<Run> next_queued(const std::set<std::string>& skip_projects, int limit);
  RunCounts count_active();
  bool has_active(const std::string& job_id);
  // The id of the job's newest run that ended `success` having run nodes (--defer's state):
  // not one that selected nothing, nor a `dbt ls`.
  std::optional<std::string> newest_successful(const std::string& job_id);

  // queued -> running, with the deliveries its start owes (an OpenLineage START) in the same
  // transaction. False when the run is no longer queued (cancelled meanwhile); then nothing is owed.
  bool mark_running(const std::string& id, TimePoint start_time, const DeliveryOwed& owed = {});
  // mark_running, saying why not: the run becomes this daemon's with a lease until
  // start_time + the owner's lease, unless its project runs a run (on any daemon) or the
  // owner's system_max_parallel runs run across the daemons.
  Claim claim(const std::string& id, TimePoint start_time, const DeliveryOwed& owed = {});
  // Only while the run is running on this daemon.
  void record_process(const std::string& id, int pid, std::int64_t start_ticks);
  // The run's progress as JSON, for the other daemons sharing the store to show
  // (docs/scale-out.md#logs-and-artifacts); false unless the run is running on this daemon.
  bool record_progress(const std::string& id, const std::string& progress_json);

  // Several daemons (docs/runs.md). Extends the leases of `ids` (runs this daemon runs) to
  // `until`; returns those that are no longer this daemon's (ended or taken by a reaper).
  std::vector<std::string> renew_leases(const std::vector<std::string>& ids, TimePoint until);
  // Asks the daemon running `id` to cancel it; false when the run is not running.
  bool request_cancel(const std::string& id, TimePoint at);
  // This daemon's running runs whose cancel was asked (request_cancel).
  std::vector<std::string> cancel_requested();
  // Other daemons' running runs whose lease ended before `now`.
  std::vector<LostRun> expired(TimePoint now);
  // Ends a lost run `error` with `message` and what it owes, unless its daemon renewed its
  // lease or it ended meanwhile (false then).
  bool end_lost(const LostRun& lost, TimePoint now, const std::string& message, const DeliveryOwed& owed = {});
  // The commit a project from git runs (docs/api.md#projects-from-git), stored before dbt starts.
  void record_git_commit(const std::string& id, const std::string& commit);
  // Moves a non-terminal run to its terminal status and stores the delivery it owes, in one
  // transaction (docs/webhooks.md). False when it was terminal already (a run never leaves
  // a terminal status) or runs on another daemon (docs/runs.md, Several daemons); then
  // nothing is owed again. `nothing_selected`: docs/runs.md; `plan`: a
  // SQLMesh plan's summary (docs/sqlmesh.md). The
  // run's nodes still `running` become `interrupted` in the same transaction.
  bool finish(const std::string& id, RunStatus status, TimePoint end_time, std::optional<int> exit_code,
              std::optional<std::string> error_message, const nlohmann::json& results,
              const DeliveryOwed& owed = {}, bool nothing_selected = false,
              const nlohmann::json& plan = nullptr);

  // Retention (docs/architecture.md): deletes up to `limit` finished runs that ended
  // before `ended_before` (when set) or are beyond the newest `keep_per_job` runs of their
  // job (when > 0), oldest first, with their finished deliveries; returns their ids so that
  // the caller removes their folders. Never touches a queued or running run, a run whose
  // webhook is still pending, or a run that a queued or running retry reads from.
  std::vector<std::string> prune(std::optional<TimePoint> ended_before, int keep_per_job, int limit);
  // Of `names`, those that are no run's id (left-over folders). One lookup each.
  std::vector<std::string> unknown_ids(const std::vector<std::string>& names);

private:
  // finish's update when `fence` (SQL over runs' columns, with :me and :now) holds.
  bool end(const std::string& id, RunStatus status, TimePoint end_time, std::optional<int> exit_code,
           std::optional<std::string> error_message, const nlohmann::json& results, const DeliveryOwed& owed,
           bool nothing_selected, const nlohmann::json& plan, const std::string& fence, const std::string& me);

  Connection& db_;
  const Owner& owner_;
};

}  // namespace dagctl::daemon::store
