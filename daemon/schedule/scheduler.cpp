#include "daemon/schedule/scheduler.hpp"

#include <spdlog/spdlog.h>

#include "daemon/schedule/cron.hpp"

namespace dagctl::daemon::schedule {

std::optional<common::TimePoint> SchedulerCore::next_fire_of(const store::Job& job, common::TimePoint after) {
  if (!job.schedule) return std::nullopt;
  const auto expr = parse_cron(*job.schedule);
  const auto zone = find_zone(job.timezone.value_or(local_zone_name()));
  if (!expr || !zone) {
    // The API validates both; a bad one in the database must not stop other jobs.
    spdlog::warn("job {}: schedule '{}' or zone cannot be used; it will not fire", job.id, *job.schedule);
    return std::nullopt;
  }
  return next_fire(*expr, *zone, after);
}

void SchedulerCore::tick(common::TimePoint now, bool startup) {
  for (const auto& job : actions_.scheduled_jobs()) {
    try {
      const auto since = job.schedule_checked_at.value_or(job.updated_at);
      const auto fire = next_fire_of(job, since);
      if (!fire || *fire > now) continue;
      if (startup && !job.catchup) {
        spdlog::info("job {} ({}): fire time {} was missed while dagctld was down; catch-up is off",
                     job.name, job.id, common::to_rfc3339(*fire));
        actions_.record(job.id, now, std::nullopt, "missed " + common::to_rfc3339(*fire) + " while dagctld was down (catch-up is off)");
        continue;
      }
      if (actions_.has_active_run(job.id)) {
        spdlog::info("job {} ({}): skipping the run due at {}: a run of this job is still queued or running",
                     job.name, job.id, common::to_rfc3339(*fire));
        actions_.record(job.id, now, *fire, "skipped: a run of this job was still queued or running");
        continue;
      }
      const std::string run_id = actions_.trigger(job);
      spdlog::info("job {} ({}): scheduled run {} for {}{}", job.name, job.id, run_id, common::to_rfc3339(*fire),
                   startup ? " (catch-up after downtime)" : "");
      actions_.record(job.id, now, *fire, std::string(startup ? "catch-up " : "") + "run " + run_id);
    } catch (const std::exception& e) {
      spdlog::error("job {}: schedule tick failed: {}", job.id, e.what());
    }
  }
}

std::optional<common::TimePoint> SchedulerCore::next_wake(common::TimePoint now) {
  std::optional<common::TimePoint> earliest;
  for (const auto& job : actions_.scheduled_jobs()) {
    const auto since = std::max(job.schedule_checked_at.value_or(job.updated_at), now);
    if (const auto fire = next_fire_of(job, since); fire && (!earliest || *fire < *earliest)) earliest = fire;
  }
  return earliest;
}

Scheduler::~Scheduler() { shutdown(); }

void Scheduler::start() { thread_ = std::thread([this] { loop(); }); }

void Scheduler::wake() {
  {
    std::lock_guard lock(mutex_);
    wake_pending_ = true;
  }
  changed_.notify_all();
}

void Scheduler::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::loop() {
  bool startup = true;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_pending_ = false;
    lock.unlock();
    const auto now = common::now();
    core_.tick(now, startup);
    startup = false;
    const auto next = core_.next_wake(now);
    lock.lock();
    // A fire time a second late is on time; the cap only bounds the damage of a clock
    // that jumped in a way the wait did not notice.
    auto until = std::chrono::system_clock::now() + std::chrono::minutes(5);
    if (next) until = std::min(until, std::chrono::system_clock::time_point(*next));
    changed_.wait_until(lock, until, [this] { return wake_pending_ || stopping_; });
  }
}

}  // namespace dagctl::daemon::schedule
