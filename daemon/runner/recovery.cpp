#include "daemon/runner/recovery.hpp"

#include <spdlog/spdlog.h>

#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner {

int recover_interrupted_runs(store::Store& store, std::chrono::milliseconds stop_grace,
                             webhooks::Outbox* outbox) {
  int count = 0;
  for (const auto& run : store.runs_with_status(common::RunStatus::running)) {
    if (run.pid > 0) {
      spdlog::warn("run {}: stopping dbt (pid {}) left over by a daemon that died", run.id, run.pid);
      stop_orphan_group(run.pid, run.pid_start_ticks, stop_grace);
    }
    // The daemon may have died between spawning dbt and recording its pid; every process
    // of a run carries DAGCTL_RUN_ID in its environment, so find them that way too.
    for (const pid_t pid : processes_with_env("DAGCTL_RUN_ID=" + run.id)) {
      spdlog::warn("run {}: stopping left-over process {}", run.id, pid);
      stop_orphan_group(pid, process_start_ticks(pid), stop_grace);
    }
    store.finish_run(run.id, common::RunStatus::error, common::now(), std::nullopt,
                     "the daemon stopped unexpectedly while this run was in progress; "
                     "its dbt process was stopped at the next start",
                     nlohmann::json::object(), outbox ? outbox->owed_for(run) : store::Store::DeliveryOwed{});
    ++count;
  }
  return count;
}

}  // namespace dagctl::daemon::runner
