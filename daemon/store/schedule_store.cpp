#include "daemon/store/schedule_store.hpp"

#include "daemon/store/job_store.hpp"
#include "daemon/store/run_store.hpp"

namespace dagctl::daemon::store {

namespace {

bool fence_holds(WriteTx& tx, const std::optional<Fence>& fence, TimePoint now) {
  return !fence || LeaseStore::holds(tx, fence->lease, fence->holder, fence->number, now);
}

}  // namespace

FireResult ScheduleStore::fire(const Run& run, int max_queued_per_job, TimePoint fire_time,
                               const ScheduleProgress& progress, const std::optional<Fence>& fence, TimePoint now) {
  WriteTx tx(db_);
  if (!fence_holds(tx, fence, now)) return FireResult::not_leading;
  {
    auto done = tx.statement("SELECT 1 FROM runs WHERE job_id = ? AND scheduled_for = ?");
    done->bind(1, run.job_id);
    done->bind(2, common::to_millis(fire_time));
    if (done->executeStep()) return FireResult::done_already;
  }
  RunStore::insert(tx, run, max_queued_per_job);
  {
    // The unique index (job_id, scheduled_for) refuses a second run of this fire time that
    // another transaction stored meanwhile: this one then rolls back whole.
    auto mark = tx.statement("UPDATE runs SET scheduled_for = ? WHERE id = ?");
    mark->bind(1, common::to_millis(fire_time));
    mark->bind(2, run.id);
    mark->exec();
  }
  JobStore::record_schedule(tx, run.job_id, progress.checked_at, progress.fired_at, progress.outcome);
  tx.commit();
  return FireResult::fired;
}

bool ScheduleStore::record(const std::string& job_id, const ScheduleProgress& progress,
                           const std::optional<Fence>& fence, TimePoint now) {
  WriteTx tx(db_);
  if (!fence_holds(tx, fence, now)) return false;
  JobStore::record_schedule(tx, job_id, progress.checked_at, progress.fired_at, progress.outcome);
  tx.commit();
  return true;
}

}  // namespace dagctl::daemon::store
