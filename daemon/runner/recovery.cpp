#include "daemon/runner/recovery.hpp"

#include <spdlog/spdlog.h>

#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner {

int recover_interrupted_runs(store::Store& store) {
  int count = 0;
  for (const auto& run : store.runs_with_status(common::RunStatus::running)) {
    if (run.pid > 0) {
      spdlog::warn("run {}: stopping dbt (pid {}) left over by a daemon that died", run.id, run.pid);
      stop_orphan_group(run.pid, run.pid_start_ticks, std::chrono::seconds(5));
    }
    store.finish_run(run.id, common::RunStatus::error, common::now(), std::nullopt,
                     "the daemon stopped unexpectedly while this run was in progress; "
                     "its dbt process was stopped at the next start",
                     nlohmann::json::object());
    ++count;
  }
  return count;
}

}  // namespace dagctl::daemon::runner
