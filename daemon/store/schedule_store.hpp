// The scheduler's writes (docs/schedules.md): a scheduled run together with its job's
// schedule progress, in one transaction. With several daemons on one database each write is
// fenced by the scheduler's lease, and a fire time has at most one run
// (runs.scheduled_for, unique per job): a second fire of the same time writes nothing.
#pragma once

#include <optional>
#include <string>

#include "daemon/store/connection.hpp"
#include "daemon/store/lease_store.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

// Fire times up to `checked_at` are handled; `fired_at`/`outcome` when one fired or was skipped.
struct ScheduleProgress {
  TimePoint checked_at;
  std::optional<TimePoint> fired_at;
  std::optional<std::string> outcome;
};

enum class FireResult { fired, done_already, not_leading };

class ScheduleStore {
public:
  explicit ScheduleStore(Connection& db) : db_(db) {}

  // Stores queued `run` for `fire_time` and the job's `progress`, in one transaction, when
  // `fence` (if any) still holds at `now` and the job has no run for that fire time yet.
  // Throws what RunStore::insert throws (queue_full); then nothing is written.
  FireResult fire(const Run& run, int max_queued_per_job, TimePoint fire_time, const ScheduleProgress& progress,
                  const std::optional<Fence>& fence, TimePoint now);
  // The job's `progress` alone (a skip, a miss), when `fence` (if any) still holds.
  bool record(const std::string& job_id, const ScheduleProgress& progress, const std::optional<Fence>& fence,
              TimePoint now);

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
