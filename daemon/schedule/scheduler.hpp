// Schedules inside the daemon (docs/schedules.md). SchedulerCore is the decision logic, driven
// by tick(now) so tests run it on a fake clock; Scheduler is the thread that sleeps until
// the next fire time (no polling) and wakes at once when jobs change.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "common/worker_thread.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::schedule {

// What the scheduler needs from the daemon: a fake in tests, the store and service in
// dagctld.
class ScheduleActions {
public:
  virtual ~ScheduleActions() = default;
  // Whether this daemon fires schedules at `now`: with several daemons on one database only
  // the holder of the scheduler's lease does (docs/schedules.md, "Several daemons"); this
  // takes or renews it. A daemon alone always leads.
  virtual bool lead(common::TimePoint /*now*/) { return true; }
  // How often `lead` must be asked again to keep (or take over) the lead; nullopt: never.
  virtual std::optional<std::chrono::milliseconds> lead_interval() { return std::nullopt; }
  // Gives the lead up (the daemon stops): another daemon may take it over at once.
  virtual void resign() {}
  // Jobs that are enabled and have a schedule.
  virtual std::vector<store::Job> scheduled_jobs() = 0;
  virtual bool has_active_run(const std::string& job_id) = 0;
  // Queues a run with triggered_by "schedule" for `fire_time` and records the job's progress
  // (`checked_at`, the fire time, outcome `outcome_prefix` + "run " + its id), all or nothing.
  // Returns the run's id; nullopt when nothing was written: that fire time has its run
  // already (another daemon fired it) or this daemon no longer leads.
  virtual std::optional<std::string> fire(const store::Job& job, common::TimePoint fire_time,
                                          common::TimePoint checked_at, const std::string& outcome_prefix) = 0;
  // The run `fire` queued was due at `fire_time` (for the schedule lag, docs/metrics.md).
  virtual void fired(const std::string& /*run_id*/, common::TimePoint /*fire_time*/) {}
  // A fire time handled without a run (skipped, missed); written only while this daemon leads.
  virtual void record(const std::string& job_id, common::TimePoint checked_at,
                      std::optional<common::TimePoint> fired_at, const std::optional<std::string>& outcome) = 0;
};

class SchedulerCore {
public:
  explicit SchedulerCore(ScheduleActions& actions) : actions_(actions) {}

  // Only while this daemon leads (ScheduleActions::lead), handles every job with a fire time
  // in (its checked_at, now]: one run however many fire times were missed; skipped (and
  // recorded) while a run of the job is queued or running. `startup`: the daemon was down, so a job with catchup off only moves on.
  // Returns the first job's failure (a store error), after handling every job it could;
  // call it again soon then. Throws when the jobs cannot be read at all.
  std::optional<std::string> tick(common::TimePoint now, bool startup);
  // The earliest fire time after `now` over all jobs; nullopt when none is scheduled.
  std::optional<common::TimePoint> next_wake(common::TimePoint now);

private:
  struct Handled {
    common::TimePoint checked_at;
    std::optional<common::TimePoint> fired_at;
    std::optional<std::string> outcome;
  };
  std::optional<common::TimePoint> next_fire_of(const store::Job& job, common::TimePoint after);
  // Records what a tick did with a job; if that fails it stays owed (and throws).
  void record(const std::string& job_id, const Handled& handled);

  ScheduleActions& actions_;
  // By job id: fire times handled (a skip, a miss) but not yet recorded. Recorded first at
  // the next tick, and the job is left alone until then. (A fire records its run with it.)
  std::map<std::string, Handled> owed_;
};

class Scheduler {
public:
  explicit Scheduler(ScheduleActions& actions);
  ~Scheduler();
  void start();
  // Jobs changed (schedule, zone, enabled): look again now.
  void wake();
  void shutdown();

private:
  // One tick; returns when to tick next (at the latest when the lead is due again). Throws
  // when something failed (a store error): the worker tries again with back-off.
  std::optional<common::Clock::time_point> pass();
  ScheduleActions& actions_;
  SchedulerCore core_;
  bool startup_ = true;  // only the worker's thread reads it
  bool started_ = false;  // start() and shutdown() are called from one thread
  common::WorkerThread worker_;
};

}  // namespace dagctl::daemon::schedule
