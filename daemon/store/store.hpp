// The daemon's only access to SQLite. Every method is one transaction and thread-safe.
// Conflicts the user can fix (duplicate names, unknown ids) throw StoreError with a
// message meant for them; a write that another process's lock kept out for the whole
// busy wait throws StoreBusy; anything else is a bug or a broken disk and propagates.
#pragma once

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

class StoreError : public std::runtime_error {
public:
  enum class Kind { not_found, conflict };
  StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

private:
  Kind kind_;
};

// Another process (e.g. `sqlite3 dagctl.db` in a transaction) held the database's write
// lock for longer than the store waits. Not a StoreError: nothing about the request is
// wrong, the same call works once the lock is gone (the API answers 503).
class StoreBusy : public std::runtime_error {
public:
  StoreBusy()
      : std::runtime_error("the database is locked by another process (an open sqlite3 session or a "
                           "backup in a transaction?); try again") {}
};

// True for a failure that can go away by itself: another process's lock (StoreBusy), a full
// or failing disk. A constraint, or a row that cannot be read, fails the same way each time.
bool is_transient(const std::exception& e);

struct RunCounts {
  int queued = 0;
  int running = 0;
};

class Store {
public:
  // A write waits up to `busy_wait` for a lock another process holds on the database,
  // letting other callers use the connection meanwhile; then it throws StoreBusy.
  explicit Store(const std::string& database_path,
                 std::chrono::milliseconds busy_wait = std::chrono::seconds(5));

  // Creates the default organization on first start; returns it afterwards.
  Organization default_organization();

  // Inserts the project and its jobs together: a project never exists without its default job.
  void create_project(const Project& project, const std::vector<Job>& jobs);
  std::vector<Project> list_projects();
  std::optional<Project> find_project(const std::string& id_or_name);
  // Refuses (conflict) while the project has queued or running runs.
  void delete_project(const std::string& id);

  std::vector<Job> list_jobs(const std::optional<std::string>& project_id);
  std::optional<Job> find_job(const std::string& id);
  std::optional<Job> find_job_by_name(const std::string& project_id, const std::string& name);
  void create_job(const Job& job);
  // The scheduler's columns (schedule_checked_at, last_fire_*) change only where `job`
  // sets them: the scheduler records its own progress with record_schedule.
  void update_job(const Job& job);
  // Refuses (conflict) while the job has queued or running runs. Its runs stay in the
  // history (retention prunes them as any other); its webhook deliveries go with it.
  void delete_job(const std::string& id);

  // Stores a queued run; when this returns the trigger survives any crash.
  // Refuses (conflict) when `max_queued_per_job` runs of that job are already queued.
  void insert_run(const Run& run, int max_queued_per_job);
  std::optional<Run> find_run(const std::string& id);
  std::vector<Run> list_runs(const RunFilter& filter);
  std::vector<Run> runs_with_status(RunStatus status);
  // What the dispatcher may start next: the oldest queued run of each project not in
  // `skip_projects`, oldest first, at most `limit`. Reads one row per project with queued
  // runs, however long the queue.
  std::vector<Run> next_queued_runs(const std::set<std::string>& skip_projects, int limit);
  RunCounts count_active_runs();

  // queued -> running. False when the run is no longer queued (cancelled meanwhile).
  bool mark_running(const std::string& id, TimePoint start_time);
  void record_process(const std::string& id, int pid, std::int64_t start_ticks);
  // Builds the webhook a finished run owes, if any. Called inside finish_run's
  // transaction with the run as stored: it must not call the store.
  using DeliveryOwed = std::function<std::optional<Delivery>(const Run& finished)>;

  // Moves a non-terminal run to its terminal status and stores the delivery it owes, in one
  // transaction (CONTRACT §10). False when it was terminal already (a run never leaves a
  // terminal status); then nothing is owed again.
  bool finish_run(const std::string& id, RunStatus status, TimePoint end_time,
                  std::optional<int> exit_code, std::optional<std::string> error_message,
                  const nlohmann::json& results, const DeliveryOwed& owed = {});
  // The id of the job's newest run that ended `success` (--defer's state).
  std::optional<std::string> newest_successful_run(const std::string& job_id);

  void insert_delivery(const Delivery& delivery);
  std::optional<Delivery> find_delivery(const std::string& id);
  // Pending deliveries due at `now`, oldest first.
  std::vector<Delivery> due_deliveries(TimePoint now, int limit);
  // When the next pending delivery is due; nullopt when none is pending.
  std::optional<TimePoint> next_delivery_due();
  // Records one attempt and the delivery's new state together.
  void record_attempt(const std::string& delivery_id, const DeliveryAttempt& attempt,
                      const std::string& status, TimePoint next_attempt_at,
                      const std::optional<std::string>& last_error);
  std::vector<Delivery> list_deliveries(const std::string& job_id, int limit);
  std::vector<DeliveryAttempt> list_attempts(const std::string& delivery_id);
  // Makes a delivery pending again, due now, with its retries renewed (a manual resend keeps
  // its id; the attempt log keeps every earlier attempt).
  bool requeue_delivery(const std::string& id, TimePoint now);
  // The job's URL changed while the delivery was owed: it goes to `url` with `body` now.
  void retarget_delivery(const std::string& id, const std::string& url, const std::string& body);

  // Retention (CONTRACT §6.8): deletes up to `limit` finished runs that ended before
  // `ended_before` (when set) or are beyond the newest `keep_per_job` runs of their job (when
  // > 0), oldest first, with their finished deliveries; returns their ids so that the caller
  // removes their folders. Never touches a queued or running run, a run whose webhook is
  // still pending, or a run that a queued or running retry reads from.
  std::vector<std::string> prune_runs(std::optional<TimePoint> ended_before, int keep_per_job, int limit);
  // Of `names`, those that are no run's (or no project's) id: folders under the data dir
  // with such names are left-overs. One lookup each, so a big store is never read whole.
  std::vector<std::string> unknown_run_ids(const std::vector<std::string>& names);
  std::vector<std::string> unknown_project_ids(const std::vector<std::string>& names);

  bool has_active_run(const std::string& job_id);
  // Schedules: fire times up to `checked_at` are handled; `fired_at`/`outcome` when one fired.
  // Only these columns change, so a concurrent PATCH of other fields is never undone.
  void record_schedule(const std::string& job_id, TimePoint checked_at, std::optional<TimePoint> fired_at,
                       const std::optional<std::string>& outcome);

  void insert_token(const Token& token);
  std::vector<Token> list_tokens();
  std::optional<Token> find_token_by_hash(const std::string& secret_sha256);
  // False when there is no such token or it was revoked already.
  bool revoke_token(const std::string& id, TimePoint when);
  void touch_token(const std::string& id, TimePoint when);

private:
  class WriteTx;  // store.cpp: the connection plus a BEGIN IMMEDIATE that waits out outside locks

  void insert_delivery_locked(const Delivery& delivery);
  std::vector<std::string> unknown_ids_chunked(const char* query, const std::vector<std::string>& names);

  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
  std::chrono::milliseconds busy_wait_;
};

}  // namespace dagctl::daemon::store
