// Dispatcher: starts queued runs in order (docs/architecture.md, "How a trigger flows"). Runs of one project go one at
// a time; at most `max_parallel` run at once across projects. The queue itself lives in
// the store (status 'queued', ordered by seq), so it survives crashes; this class only
// decides what starts next and tracks what runs now.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/worker_thread.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/runner/run_mirror.hpp"
#include "daemon/runner/run_ends.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"

namespace dagctl::daemon::runner {

class Dispatcher {
public:
  // `outbox` (optional) records the webhook each finished run owes, in the same
  // transaction as its terminal status.
  Dispatcher(store::Store& store, RunExecutor& executor, int max_parallel,
             webhooks::Outbox* outbox = nullptr);
  ~Dispatcher();

  void start();
  // Call after queueing a run: the dispatcher looks at the queue again.
  void wake();
  // Queued: ends `cancelled` at once. Running: dbt is stopped (docs/runs.md) and the run ends
  // `cancelled` when it has exited. Running on another daemon sharing the store: that daemon
  // is asked to, and does within a second (docs/runs.md, Several daemons). False when the run
  // is not active.
  bool cancel(const std::string& run_id);
  // A started run's progress; nullopt when it is not running here.
  std::optional<Progress> progress(const std::string& run_id) const;
  // What a queued run waits for (docs/runs.md, Progress): the running run of its project,
  // a free slot, or nothing when it is about to start.
  Progress queued_progress(const store::Run& run) const;
  // Counts runs' starts and ends into `metrics` (docs/metrics.md); call before start().
  void set_metrics(metrics::Metrics* metrics) { metrics_ = metrics; }
  // Copies each run's log and progress into the store while it runs, for the other daemons
  // sharing it (docs/scale-out.md#logs-and-artifacts); call before start().
  void set_run_mirror(RunMirror* mirror) { run_mirror_ = mirror; }
  // Several daemons (docs/runs.md): the runs running here now, whose leases the heartbeat renews.
  std::vector<std::string> running_ids() const;
  // Runs this daemon no longer owns (a reaper ended them, or their lease could not be
  // renewed): their dbt is stopped as a cancel does, and their end is not written here.
  void lose(const std::vector<std::string>& run_ids);
  // Notified whenever a run reaches its terminal status.
  RunEnds& run_ends() { return run_ends_; }
  // Stops starting runs, stops running ones (they end `error`, "daemon stopped"), waits
  // for them. Queued runs stay queued for the next start.
  void shutdown();

private:
  struct Active {
    std::string project_id;
    std::string label;  // "project/job", once the run's thread has read them
    std::unique_ptr<RunControl> control;
    Progress progress;
    std::thread thread;
    bool finished = false;
    bool lost = false;    // lose(): another daemon ends it
    bool ending = false;  // its end is being written here: no longer lost by a renewal
  };

  // One look at the queue, on the worker's thread: joins the threads of runs that ended and
  // starts what fits. Throws on a store error (the worker tries again with back-off).
  std::optional<common::Clock::time_point> pass();
  void start_due_runs(std::unique_lock<std::mutex>& lock);
  // Cancels asked at another daemon (RunStore::request_cancel) of runs running here.
  void cancel_requested_elsewhere(std::unique_lock<std::mutex>& lock);
  void execute(const std::string& run_id, RunControl& control);
  size_t join_finished(std::unique_lock<std::mutex>& lock);  // how many ended
  // finish_run plus the webhook the run owes (unless `owe_webhook` is false).
  bool finish(const std::string& run_id, const Outcome& outcome, common::TimePoint end_time,
              bool owe_webhook = true);
  // finish() until it is written or the dispatcher stops (false then).
  bool record_end(const std::string& run_id, const Outcome& outcome, common::TimePoint end_time);
  // Waits `delay` between tries of a failed store call; false when the dispatcher stops.
  bool pause_unless_stopping(std::chrono::milliseconds delay);

  store::Store& store_;
  RunExecutor& executor_;
  RunEnds run_ends_;
  const int max_parallel_;
  webhooks::Outbox* outbox_;
  metrics::Metrics* metrics_ = nullptr;
  RunMirror* run_mirror_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // a run ended, or the dispatcher is stopping
  bool stopping_ = false;
  std::map<std::string, Active> active_;  // by run id
  common::WorkerThread worker_;           // last: its thread uses everything above
};

}  // namespace dagctl::daemon::runner
