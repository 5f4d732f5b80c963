#include "daemon/schedule/scheduler.hpp"

#include <spdlog/spdlog.h>

#include "daemon/schedule/cron.hpp"
#include "daemon/store/retry.hpp"

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

void SchedulerCore::record(const std::string& job_id, const Handled& handled) {
  owed_[job_id] = handled;
  actions_.record(job_id, handled.checked_at, handled.fired_at, handled.outcome);
  owed_.erase(job_id);
}

std::optional<std::string> SchedulerCore::tick(common::TimePoint now, bool startup) {
  if (!actions_.lead(now)) {
    // Another daemon fires; what this one owed is stale (its writes would be refused anyway).
    owed_.clear();
    return std::nullopt;
  }
  std::optional<std::string> failure;
  for (auto it = owed_.begin(); it != owed_.end();) {
    try {
      actions_.record(it->first, it->second.checked_at, it->second.fired_at, it->second.outcome);
      it = owed_.erase(it);
    } catch (const std::exception& e) {
      if (!failure) failure = "job " + it->first + ": recording its schedule: " + e.what();
      ++it;
    }
  }
  for (const auto& job : actions_.scheduled_jobs()) {
    if (owed_.count(job.id)) continue;
    try {
      const auto since = job.schedule_checked_at.value_or(job.updated_at);
      const auto fire = next_fire_of(job, since);
      if (!fire || *fire > now) continue;
      if (startup && !job.catchup) {
        spdlog::info("job {} ({}): fire time {} was missed while dagctld was down; catch-up is off",
                     job.name, job.id, common::to_rfc3339(*fire));
        record(job.id, {now, std::nullopt, "missed " + common::to_rfc3339(*fire) + " while dagctld was down (catch-up is off)"});
        continue;
      }
      if (actions_.has_active_run(job.id)) {
        spdlog::info("job {} ({}): skipping the run due at {}: a run of this job is still queued or running",
                     job.name, job.id, common::to_rfc3339(*fire));
        record(job.id, {now, *fire, "skipped: a run of this job was still queued or running"});
        continue;
      }
      const auto run_id = actions_.fire(job, *fire, now, startup ? "catch-up " : "");
      if (!run_id) {
        spdlog::info("job {} ({}): the run due at {} was queued by another daemon, or this one no longer leads",
                     job.name, job.id, common::to_rfc3339(*fire));
        continue;
      }
      actions_.fired(*run_id, *fire);
      spdlog::info("job {} ({}): scheduled run {} for {}{}", job.name, job.id, *run_id, common::to_rfc3339(*fire),
                   startup ? " (catch-up after downtime)" : "");
    } catch (const std::exception& e) {
      // One job's failure must not stop the others; the caller logs it and comes back.
      if (!failure) failure = "job " + job.name + " (" + job.id + "): " + e.what();
    }
  }
  return failure;
}

std::optional<common::TimePoint> SchedulerCore::next_wake(common::TimePoint now) {
  std::optional<common::TimePoint> earliest;
  for (const auto& job : actions_.scheduled_jobs()) {
    const auto since = std::max(job.schedule_checked_at.value_or(job.updated_at), now);
    if (const auto fire = next_fire_of(job, since); fire && (!earliest || *fire < *earliest)) earliest = fire;
  }
  return earliest;
}

Scheduler::Scheduler(ScheduleActions& actions)
    : actions_(actions),
      core_(actions),
      worker_("scheduler: handling due fire times", [this] { return pass(); }, store::log_to_spdlog) {}

Scheduler::~Scheduler() { shutdown(); }

void Scheduler::start() {
  started_ = true;
  worker_.start();
}

void Scheduler::wake() { worker_.wake(); }

void Scheduler::shutdown() {
  worker_.stop();
  if (!started_) return;
  started_ = false;
  try {
    actions_.resign();
  } catch (const std::exception& e) {
    spdlog::warn("scheduler: giving up the lead: {}; another daemon takes it over when it expires", e.what());
  }
}

std::optional<common::Clock::time_point> Scheduler::pass() {
  const auto now = common::now();
  // A fire time a second late is on time; the cap only bounds the damage of a clock
  // that jumped in a way the wait did not notice.
  auto until = common::Clock::now() + std::chrono::minutes(5);
  // With several daemons the lead is renewed (or taken over) this often.
  if (const auto every = actions_.lead_interval()) until = std::min(until, common::Clock::now() + *every);
  const auto failure = core_.tick(now, startup_);
  startup_ = false;  // the jobs were read: whatever failed is retried as due, not as missed
  // A store error (e.g. the database locked by another process): what is due stays due, so
  // the next try (with back-off) fires it late rather than never.
  if (failure) throw std::runtime_error(*failure);
  if (const auto next = core_.next_wake(now)) until = std::min(until, common::Clock::time_point(*next));
  return until;
}

}  // namespace dagctl::daemon::schedule
