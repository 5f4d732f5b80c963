// The process's own facts for a scrape, from /proc (docs/metrics.md): resident memory,
// start time and CPU time, under the names Prometheus' client libraries use.
#pragma once

#include <optional>

namespace dagctl::daemon::metrics {

struct ProcessFacts {
  std::optional<double> resident_memory_bytes;  // /proc/self/statm
  std::optional<double> start_time_seconds;     // since the epoch: /proc/self/stat and btime
  std::optional<double> cpu_seconds;            // user + system
};

ProcessFacts read_process_facts();

}  // namespace dagctl::daemon::metrics
