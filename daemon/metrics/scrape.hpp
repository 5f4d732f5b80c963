// One scrape of GET /metrics (docs/metrics.md): the counters of metrics.hpp, gauges read
// from the store at this moment (queue, running runs, outbox backlog, each model's last
// success) and the daemon's own facts. The models' last successes are read whole once,
// then only from the runs that ended since the previous scrape, so a scrape's cost does not
// grow with the runs kept (docs/benchmarks.md).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/time.hpp"
#include "daemon/metrics/exposition.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon::metrics {

// Models shown per project at most (the first by unique_id); the rest are counted in
// dagctl_model_series_dropped (docs/metrics.md, Cardinality).
inline constexpr size_t kMaxModelsPerProject = 1000;
// Successful records of one model read at most by the first scrape (docs/metrics.md).
inline constexpr size_t kMaxRowsPerModel = 10000;

struct DaemonFacts {
  std::string version;
  common::TimePoint started_at;
  // Connections being served now, by listener ("socket", "tcp", "metrics").
  std::function<std::vector<std::pair<std::string, size_t>>()> connections;
};

class Scraper {
public:
  Scraper(store::Store& store, Metrics& metrics, DaemonFacts facts, size_t max_models_per_project = kMaxModelsPerProject);

  // The exposition text. One scrape at a time; throws on a store error.
  std::string render();

private:
  void refresh_models(size_t project_count);
  void write_runs(TextWriter& out, const std::map<std::string, std::string>& project_names, common::TimePoint now);
  void write_models(TextWriter& out, const std::map<std::string, std::string>& project_names);
  void write_outbox(TextWriter& out, common::TimePoint now);
  void write_daemon(TextWriter& out);

  store::Store& store_;
  Metrics& metrics_;
  DaemonFacts facts_;
  const size_t max_models_;
  std::mutex mutex_;
  bool models_loaded_ = false;
  // By (project id, unique_id): the newest success seen.
  std::map<std::pair<std::string, std::string>, store::ModelSuccess> models_;
};

}  // namespace dagctl::daemon::metrics
