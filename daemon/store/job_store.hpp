// Jobs: their fields (changed by the API) and their schedule's progress (changed only by
// the scheduler, through record_schedule).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

class JobStore {
public:
  explicit JobStore(Connection& db) : db_(db) {}

  std::vector<Job> list(const std::optional<std::string>& project_id);
  std::optional<Job> find(const std::string& id);
  std::optional<Job> find_by_name(const std::string& project_id, const std::string& name);
  void create(const Job& job);
  // Reads the job, lets `edit` change it and writes it back, in one write transaction: two
  // concurrent updates of different fields both stick. `edit` must not call the store; when
  // it throws, nothing changes. It may move schedule_checked_at (a new schedule starts
  // afresh) but last_fire_* are the scheduler's (record_schedule) and are not written.
  // Returns the job as stored; not_found when there is no such job, conflict on a taken name.
  Job update(const std::string& id, const std::function<void(Job&)>& edit);
  // Refuses (conflict) while the job has queued or running runs. Its runs stay in the
  // history (retention prunes them as any other); its webhook deliveries go with it.
  void remove(const std::string& id);
  // Schedules: fire times up to `checked_at` are handled; `fired_at`/`outcome` when one fired.
  // Only these columns change, so a concurrent PATCH of other fields is never undone.
  void record_schedule(const std::string& job_id, TimePoint checked_at, std::optional<TimePoint> fired_at,
                       const std::optional<std::string>& outcome);

  // Inserts a job inside the caller's transaction (a project and its jobs go together).
  static void insert(WriteTx& tx, const Job& job);
  // record_schedule inside the caller's transaction (a scheduled run and its fire time go together).
  static void record_schedule(WriteTx& tx, const std::string& job_id, TimePoint checked_at,
                              std::optional<TimePoint> fired_at, const std::optional<std::string>& outcome);

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
