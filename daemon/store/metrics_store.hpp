// What a metrics scrape reads (docs/metrics.md): the queue, the outbox backlog and the
// models' last successes, each through an index, so a scrape stays cheap however many runs
// are kept (docs/benchmarks.md). Read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

// A project's queued or running runs.
struct ActiveRuns {
  std::string project_id;
  RunStatus status = RunStatus::queued;
  std::int64_t count = 0;
  TimePoint oldest_created;
};

// Deliveries still owed (status pending) of one kind (docs/webhooks.md).
struct OutboxBacklog {
  std::string kind;
  std::int64_t pending = 0;
  std::optional<TimePoint> oldest_created;
};

// A model's newest successful record in one project.
struct ModelSuccess {
  std::string project_id;
  std::string unique_id;
  std::string name;
  TimePoint finished_at;
  std::optional<double> execution_time;  // seconds, dbt's
  std::int64_t run_seq = 0;              // which is newer
};

class MetricsStore {
public:
  explicit MetricsStore(Connection& db) : db_(db) {}

  std::vector<ActiveRuns> active_runs();
  // By kind, only the kinds that have some owed.
  std::vector<OutboxBacklog> outbox_backlog();
  // Every model's unique_id that has a node record ("model." ids), one index seek each.
  std::vector<std::string> model_ids();
  // The model's newest success per project, reading its successes newest first and
  // stopping once `projects` projects are found (all of them: one row when there is one)
  // or after `max_rows` rows (a project some model is not in would read its whole history).
  std::vector<ModelSuccess> last_successes(const std::string& unique_id, size_t projects, size_t max_rows);
  // The successful models of one run.
  std::vector<ModelSuccess> run_successes(const std::string& run_id);

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
