// The scheduler's view of the daemon: jobs from the store; a scheduled run is queued like any
// other (triggered_by "schedule"), in one transaction with its job's schedule progress. With
// several daemons on one database only the holder of the lease "scheduler" fires
// (docs/schedules.md, "Several daemons"); every write checks that lease.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/metrics/metrics.hpp"
#include "daemon/schedule/scheduler.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon::service {

inline constexpr const char* kSchedulerLease = "scheduler";

class ScheduledRuns : public schedule::ScheduleActions {
public:
  // `daemon_id` names this daemon as the lease's holder; `lease`: how long the lead lasts
  // without a renewal (a failover takes at most this long), renewed every third of it.
  ScheduledRuns(store::Store& store, Service& service, metrics::Metrics* metrics = nullptr,
                std::string daemon_id = "dmn_local", std::chrono::milliseconds lease = std::chrono::seconds(30),
                std::function<common::TimePoint()> clock = common::now)
      : store_(store),
        service_(service),
        metrics_(metrics),
        daemon_id_(std::move(daemon_id)),
        lease_(lease),
        clock_(std::move(clock)) {}

  bool lead(common::TimePoint now) override;
  std::optional<std::chrono::milliseconds> lead_interval() override { return lease_ / 3; }
  void resign() override;
  std::vector<store::Job> scheduled_jobs() override;
  bool has_active_run(const std::string& job_id) override { return store_.runs().has_active(job_id); }
  std::optional<std::string> fire(const store::Job& job, common::TimePoint fire_time, common::TimePoint checked_at,
                                  const std::string& outcome_prefix) override;
  void fired(const std::string& run_id, common::TimePoint fire_time) override {
    if (metrics_) metrics_->schedule_fired(run_id, fire_time);
  }
  void record(const std::string& job_id, common::TimePoint checked_at, std::optional<common::TimePoint> fired_at,
              const std::optional<std::string>& outcome) override;

private:
  std::optional<store::Fence> fence();

  store::Store& store_;
  Service& service_;
  metrics::Metrics* metrics_;
  std::string daemon_id_;
  std::chrono::milliseconds lease_;
  std::function<common::TimePoint()> clock_;  // fenced writes check the lease at this time
  std::mutex mutex_;
  std::optional<std::int64_t> fence_;  // while this daemon leads
  common::TimePoint renewed_at_{};
};

}  // namespace dagctl::daemon::service
