// WorkerInfo: what `dagctl status`, `dagctl doctor` and GET /api/v1/daemon show of one
// project's warm dbt worker (docs/runs.md#warm-workers).
#pragma once

#include <cstdint>
#include <string>

namespace dagctl::daemon::runner::warm {

struct WorkerInfo {
  std::string project_id;
  std::string project_name;
  // starting (importing dbt), parsing (the project), ready, running (a run's child is
  // alive), cold (no worker: `reason` says why; runs take the cold path).
  std::string state;
  std::string reason;        // why cold; empty otherwise
  int pid = 0;               // the worker process, 0 when there is none
  std::int64_t rss_bytes = 0;  // the worker's resident memory (not its runs')
  std::string dbt_version;   // dbt-core's version as the worker imported it, when known
  std::int64_t runs = 0;     // runs this worker has forked
  std::string started_at;    // RFC 3339, empty when no worker
  std::string last_used_at;  // RFC 3339, empty when it has not run anything yet
};

}  // namespace dagctl::daemon::runner::warm
