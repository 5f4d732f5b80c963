// Retention (docs/architecture.md, "Folders"): finished runs older than --keep-days, or beyond the newest
// --keep-runs of their job, are deleted with their folders and finished webhook
// deliveries. A queued or running run never is, nor one whose webhook is still owed.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/data_dir.hpp"
#include "common/time.hpp"
#include "common/worker_thread.hpp"

namespace dagctl::daemon::store {
class Store;
}

namespace dagctl::daemon::runner {

struct RetentionPolicy {
  int keep_days = 30;    // 0: no age bound
  int keep_runs = 1000;  // per job; 0: no count bound
};

struct PruneReport {
  int runs = 0;            // runs deleted with their folders
  int stray_folders = 0;   // folders of runs or projects the database no longer has
};

class Retention {
public:
  // `daemon_id` names this daemon as holder of the lease "retention": with several daemons on
  // one database one at a time deletes runs, and each removes the stray folders of its own
  // data dir (docs/architecture.md, "Folders").
  Retention(store::Store& store, common::DataDir data_dir, RetentionPolicy policy,
            std::chrono::milliseconds interval = std::chrono::hours(1), std::string daemon_id = "dmn_local");
  ~Retention();
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  // One pass at `now`: deletes what the policy no longer keeps (database rows first, so a
  // crash leaves at worst a folder without a run; only while holding the lease "retention",
  // else another daemon is doing it), then every run or project folder whose
  // run or project is gone (pruned, deleted with its job or project, or a crash mid-pass).
  PruneReport prune(common::TimePoint now);

  // A pass at once, then one every interval, on a thread of its own.
  void start();
  // A pass now (a job or project was deleted: its folders can go).
  void wake();
  void shutdown();

private:
  // One pass on the worker's thread; returns when the next is due.
  std::optional<common::Clock::time_point> pass();

  store::Store& store_;
  common::DataDir data_dir_;
  RetentionPolicy policy_;
  std::chrono::milliseconds interval_;
  std::string daemon_id_;
  common::WorkerThread worker_;  // its stopping() is read by a pass in progress, between batches
};

}  // namespace dagctl::daemon::runner
