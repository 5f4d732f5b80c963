// Pool: the warm dbt workers, one per project (docs/runs.md#warm-workers). A worker starts
// at its project's first run, is restarted when its launch (interpreter, environment,
// sandbox) or the project's dbt installation changes, and exits after --warm-idle without
// a run. At most `max_workers` live at once (--max-parallel): a new one evicts the least
// recently used idle one.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "common/time.hpp"
#include "common/worker_thread.hpp"
#include "daemon/runner/warm/worker.hpp"
#include "daemon/runner/warm/worker_info.hpp"

namespace dagctl::daemon::runner::warm {

struct PoolOptions {
  bool enabled = true;                      // --warm
  std::chrono::seconds idle{300};           // --warm-idle
  int max_workers = 4;                      // --max-parallel
  std::chrono::milliseconds ready_timeout{std::chrono::minutes(2)};
};

struct WorkerRequest {
  std::string project_id;
  std::string project_name;
  bool project_warm = true;  // the project's `warm` field
  // Set when the project cannot be warm (dbt is not a Python script, say): runs go cold.
  std::string cold_reason;
  WorkerLaunch launch;
};

class Pool {
public:
  explicit Pool(PoolOptions options);
  ~Pool();  // stops every worker
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A ready worker for the project's run, or why the run goes the cold path.
  // A stop of the run (`stop_fd` readable) ends the wait for a starting worker.
  std::variant<std::shared_ptr<Worker>, std::string> acquire(const WorkerRequest& request, int stop_fd = -1);
  // The run that acquired it ended: the idle clock starts, and a worker that died or went
  // stale is started again so the next run finds it ready.
  void release(const std::string& project_id);
  std::vector<WorkerInfo> describe();
  // Stops every worker (the daemon's stop); runs still going keep theirs until they end.
  void stop_all();

  const PoolOptions& options() const { return options_; }

private:
  struct Entry {
    std::string name;
    std::string key;  // the launch it was started with
    std::shared_ptr<Worker> worker;
    std::string installation;  // the stamp of the worker's watched files at its hello
    int busy = 0;  // runs using it now (one per project, but nothing here relies on that)
    common::TimePoint last_used{};
    std::string cold_reason;  // why the last try gave no worker
    std::string stopped;      // why a worker that was ready is gone (idle, evicted), for describe()
    std::string cold_key;     // the launch that reason is about (retried when it changes)
    std::optional<WorkerRequest> last_request;
  };
  std::optional<common::Clock::time_point> sweep();
  void start_worker(Entry& entry, const WorkerRequest& request);
  void evict_for_one_more(const std::string& keep);

  const PoolOptions options_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // by project id
  common::WorkerThread sweeper_;
};

// A stamp of files (path, mtime, size): differs when any was replaced or changed.
std::string files_stamp(const std::vector<std::string>& files);

}  // namespace dagctl::daemon::runner::warm
