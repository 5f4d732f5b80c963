#include "daemon/service/scheduled_runs.hpp"

namespace dagctl::daemon::service {

std::vector<store::Job> ScheduledRuns::scheduled_jobs() {
  std::vector<store::Job> out;
  for (auto& job : store_.jobs().list(std::nullopt)) {
    if (job.enabled && job.schedule) out.push_back(std::move(job));
  }
  return out;
}

std::string ScheduledRuns::trigger(const store::Job& job) {
  return service_.trigger(job.project_id, job.id, std::nullopt, "schedule").id;
}

}  // namespace dagctl::daemon::service
