#include "daemon/runner/recovery.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/data_dir.hpp"
#include "daemon/runner/node_records.hpp"
#include "daemon/runner/process.hpp"
#include "daemon/runner/progress.hpp"
#include "daemon/runner/sqlmesh/launch.hpp"
#include "daemon/runner/warm/worker.hpp"

namespace dagctl::daemon::runner {

namespace {

// What dbt (or SQLMesh's plugin) logged of its nodes while no daemon read its log (it is
// stopped by now).
void record_logged_nodes(store::Store& store, const std::string& data_dir, const std::string& run_id) {
  NodeRecorder recorder;
  for (const std::string name : {"dbt.log", sqlmesh::kEventLog}) {
    LogFollower log(common::DataDir(data_dir).run_dbt_logs(run_id) + "/" + name);
    log.poll([&recorder](std::string_view line) { recorder.feed_line(line); });
  }
  try {
    store.nodes().upsert(run_id, recorder.pending());
  } catch (const std::exception& e) {
    if (store::is_transient(e)) throw;
    spdlog::warn("run {}: could not store the nodes its log holds: {}", run_id, e.what());
  }
}

// A warm run writes target/ and logs/ in its worker's folder (docs/runs.md#warm-workers):
// they join the run's folder before anything reads them.
void bring_home_warm_folders(const common::DataDir& layout, const store::Run& run) {
  const std::string from = layout.warm_run(run.project_id, run.id);
  std::error_code ec;
  if (!std::filesystem::exists(from, ec)) return;
  for (const auto& [sub, to] : {std::pair{"/target", layout.run_target(run.id)}, std::pair{"/logs", layout.run_dbt_logs(run.id)}}) {
    if (!std::filesystem::exists(from + sub, ec)) continue;
    std::filesystem::remove_all(to, ec);
    std::filesystem::create_directories(layout.run(run.id), ec);
    std::filesystem::rename(from + sub, to, ec);
  }
  std::filesystem::remove_all(from, ec);
}

// Warm workers a crashed daemon left (they exit once their runs end; these are stopped).
void stop_leftover_workers(const std::string& data_dir) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(data_dir, ec);
  std::string marker = (ec ? std::filesystem::path(data_dir) : canonical).string();
  while (marker.size() > 1 && marker.back() == '/') marker.pop_back();
  std::vector<std::pair<pid_t, std::int64_t>> workers;
  for (const pid_t pid : processes_with_env(std::string(warm::kWorkerMarker) + "=" + marker)) {
    workers.emplace_back(pid, process_start_ticks(pid));
  }
  if (workers.empty()) return;
  spdlog::warn("stopping {} warm dbt worker process(es) left over by a daemon that died", workers.size());
  stop_orphan_groups(workers, std::chrono::milliseconds(0));
}

}  // namespace

int recover_interrupted_runs(store::Store& store, std::chrono::milliseconds stop_grace,
                             webhooks::Outbox* outbox, const std::string& data_dir) {
  // Only this daemon's: another daemon's runs end when their lease passes (docs/runs.md,
  // Several daemons). A run with no daemon id is from before several daemons.
  std::vector<store::Run> runs;
  for (auto& run : store.runs().with_status(common::RunStatus::running)) {
    if (!run.daemon_id || *run.daemon_id == store.owner().daemon_id) runs.push_back(std::move(run));
  }
  std::vector<std::pair<pid_t, std::int64_t>> leftovers;
  for (const auto& run : runs) {
    if (run.pid > 0) leftovers.emplace_back(run.pid, run.pid_start_ticks);
    // The daemon may have died between spawning dbt and recording its pid; every process
    // of a run carries DAGCTL_RUN_ID in its environment, so find them that way too.
    for (const pid_t pid : processes_with_env("DAGCTL_RUN_ID=" + run.id)) {
      if (pid != run.pid) leftovers.emplace_back(pid, process_start_ticks(pid));
    }
  }
  if (!leftovers.empty()) {
    spdlog::warn("stopping {} run process(es) (dbt, sqlmesh) left over by a daemon that died", leftovers.size());
    // Start-up waits for this, so the grace is capped: dbt gets SIGINT first all the same.
    stop_orphan_groups(leftovers, std::min(stop_grace, std::chrono::milliseconds(std::chrono::seconds(5))));
  }
  if (!data_dir.empty()) stop_leftover_workers(data_dir);
  for (const auto& run : runs) {
    if (!data_dir.empty()) {
      bring_home_warm_folders(common::DataDir(data_dir), run);
      record_logged_nodes(store, data_dir, run.id);
    }
    const auto end = [&](const store::DeliveryOwed& owed) {
      store.runs().finish(run.id, common::RunStatus::error, common::now(), std::nullopt,
                          "the daemon stopped unexpectedly while this run was in progress; "
                          "its process (dbt or sqlmesh) was stopped at the next start",
                          nlohmann::json::object(), owed);
    };
    try {
      end(outbox ? outbox->owed_for(run) : store::DeliveryOwed{});
    } catch (const std::exception& e) {
      // A locked database fails the start with its message; a webhook that cannot be built
      // from its job's stored row must not keep the daemon from ever starting.
      if (store::is_transient(e)) throw;
      spdlog::error("run {}: the webhook it owes cannot be stored ({}); ending it without", run.id, e.what());
      end({});
    }
  }
  return static_cast<int>(runs.size());
}

}  // namespace dagctl::daemon::runner
