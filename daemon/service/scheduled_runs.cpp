#include "daemon/service/scheduled_runs.hpp"

#include <spdlog/spdlog.h>

namespace dagctl::daemon::service {

bool ScheduledRuns::lead(common::TimePoint now) {
  std::lock_guard lock(mutex_);
  // Renewed at most every third of the lease: a tick per fire time costs no write.
  if (fence_ && now >= renewed_at_ && now - renewed_at_ < lease_ / 3) return true;
  const auto taken = store_.leases().try_acquire(kSchedulerLease, daemon_id_, lease_, now);
  if (taken && fence_ != taken) spdlog::info("scheduler: this daemon ({}) fires schedules now", daemon_id_);
  if (!taken && fence_) spdlog::info("scheduler: another daemon fires schedules now");
  fence_ = taken;
  renewed_at_ = now;
  return fence_.has_value();
}

void ScheduledRuns::resign() {
  std::lock_guard lock(mutex_);
  if (!fence_) return;
  store_.leases().release(kSchedulerLease, daemon_id_);
  fence_.reset();
}

std::optional<store::Fence> ScheduledRuns::fence() {
  std::lock_guard lock(mutex_);
  if (!fence_) return store::Fence{kSchedulerLease, daemon_id_, -1};  // matches no lease: writes nothing
  return store::Fence{kSchedulerLease, daemon_id_, *fence_};
}

std::vector<store::Job> ScheduledRuns::scheduled_jobs() {
  std::vector<store::Job> out;
  for (auto& job : store_.jobs().list(std::nullopt)) {
    if (job.enabled && job.schedule) out.push_back(std::move(job));
  }
  return out;
}

std::optional<std::string> ScheduledRuns::fire(const store::Job& job, common::TimePoint fire_time,
                                               common::TimePoint checked_at, const std::string& outcome_prefix) {
  const auto run = service_.scheduled_run(job);
  const store::ScheduleProgress progress{checked_at, fire_time, outcome_prefix + "run " + run.id};
  switch (store_.schedules().fire(run, kMaxQueuedPerJob, fire_time, progress, fence(), clock_())) {
    case store::FireResult::fired:
      service_.run_queued();
      return run.id;
    case store::FireResult::done_already:
    case store::FireResult::not_leading:
      break;
  }
  return std::nullopt;
}

void ScheduledRuns::record(const std::string& job_id, common::TimePoint checked_at,
                           std::optional<common::TimePoint> fired_at, const std::optional<std::string>& outcome) {
  if (!store_.schedules().record(job_id, {checked_at, fired_at, outcome}, fence(), clock_())) {
    spdlog::info("scheduler: job {}: not recorded, another daemon fires schedules now", job_id);
  }
}

}  // namespace dagctl::daemon::service
