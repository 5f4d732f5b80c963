// The scheduler's view of the daemon: jobs from the store, triggers through the Service
// (so a scheduled run is queued exactly like any other, with triggered_by "schedule").
#pragma once

#include "daemon/metrics/metrics.hpp"
#include "daemon/schedule/scheduler.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon::service {

class ScheduledRuns : public schedule::ScheduleActions {
public:
  ScheduledRuns(store::Store& store, Service& service, metrics::Metrics* metrics = nullptr)
      : store_(store), service_(service), metrics_(metrics) {}
  std::vector<store::Job> scheduled_jobs() override;
  bool has_active_run(const std::string& job_id) override { return store_.runs().has_active(job_id); }
  std::string trigger(const store::Job& job) override;
  void fired(const std::string& run_id, common::TimePoint fire_time) override {
    if (metrics_) metrics_->schedule_fired(run_id, fire_time);
  }
  void record(const std::string& job_id, common::TimePoint checked_at, std::optional<common::TimePoint> fired_at,
              const std::optional<std::string>& outcome) override {
    store_.jobs().record_schedule(job_id, checked_at, fired_at, outcome);
  }

private:
  store::Store& store_;
  Service& service_;
  metrics::Metrics* metrics_;
};

}  // namespace dagctl::daemon::service
