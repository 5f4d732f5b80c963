// The daemon's counters and histograms (docs/metrics.md): what the dispatcher, the
// scheduler and the webhook sender count as it happens. In memory: they start at 0 with
// each daemon, which Prometheus' rate() and increase() expect of a counter. What the store
// already knows (queue, backlog, model freshness) is read at scrape time instead (scrape.hpp).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "daemon/metrics/exposition.hpp"
#include "daemon/metrics/families.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::metrics {

// Label sets each family keeps at most (docs/metrics.md, Cardinality).
inline constexpr size_t kMaxRunSeries = 2000;       // runs started/finished: project x job (x status)
inline constexpr size_t kMaxHistogramSeries = 500;  // run duration, schedule lag: project x job
// Scheduled runs whose fire time and start wait for each other (a cancelled one never starts).
inline constexpr size_t kMaxPendingFires = 1024;
inline constexpr size_t kMaxPendingFinished = 10000;

// Run duration buckets, in seconds: from a one-model build to a two-hour full refresh.
std::vector<double> run_duration_buckets();
// Schedule lag buckets, in seconds: from on time to an hour late (a catch-up after downtime).
std::vector<double> schedule_lag_buckets();

class Metrics {
public:
  Metrics();

  // The dispatcher marked `run` running at `start`.
  void run_started(const store::Run& run, common::TimePoint start);
  // `run` (as read before its end was written) ended `status` at `end`.
  void run_finished(const store::Run& run, common::RunStatus status, common::TimePoint end);
  // The scheduler queued `run_id` for the fire time `fire` (before or after it started).
  void schedule_fired(const std::string& run_id, common::TimePoint fire);
  // One delivery attempt's result: "delivered", "retrying" (it will be tried again) or
  // "failed" (given up); `kind` is the outbox's (webhook, slack...).
  void delivery_attempt(const std::string& kind, const std::string& outcome);

  void write(TextWriter& out) const;

  // The runs that ended since the last call, for the scrape's model freshness; `overflowed`
  // when more ended than it keeps (kMaxPendingFinished): read everything again then.
  std::vector<std::string> take_finished_runs(bool& overflowed);

private:
  void observe_lag(const std::vector<std::string>& labels, common::TimePoint fire, common::TimePoint start);

  CounterFamily runs_started_;
  CounterFamily runs_finished_;
  HistogramFamily run_duration_;
  HistogramFamily schedule_lag_;
  CounterFamily delivery_attempts_;

  // Scheduled runs seen on one side only: the fire time, or the start and its labels.
  struct Started {
    common::TimePoint at;
    std::vector<std::string> labels;
  };
  std::mutex pending_mutex_;
  std::map<std::string, common::TimePoint> fired_;
  std::map<std::string, Started> started_;
  std::vector<std::string> finished_;
  bool finished_overflowed_ = false;
};

// A run's labels: the project's and job's names (docs/metrics.md says why names).
std::vector<std::string> run_labels(const store::Run& run);

}  // namespace dagctl::daemon::metrics
