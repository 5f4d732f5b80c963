// Copies what other daemons sharing the store cannot see of the runs running here, their
// log and their progress, into the store while they run (docs/scale-out.md#logs-and-artifacts).
// On only when the store can be shared: the data dir's own SQLite file has no other reader.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/worker_thread.hpp"
#include "daemon/runner/progress.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon::runner {

// What of one run's log the store keeps at most; the rest stays in output.log on the
// daemon that ran it (docs/limits.md).
inline constexpr std::uint64_t kMaxStoredLogBytes = 32ull << 20;

class RunMirror {
public:
  // A running run's progress here (Dispatcher::progress); nullopt when it is not running.
  using ProgressOf = std::function<std::optional<Progress>(const std::string& run_id)>;

  RunMirror(store::Store& store, std::string data_dir, ProgressOf progress,
            std::chrono::milliseconds every = std::chrono::milliseconds(500));
  ~RunMirror();  // stop()
  RunMirror(const RunMirror&) = delete;
  RunMirror& operator=(const RunMirror&) = delete;

  void start();
  void stop();
  // Copies the run's log and progress from now on, every `every` while they change.
  void track(const std::string& run_id);
  // Copies what is left of the run's log, then stops tracking it. Called before the run's
  // end is written, so a daemon that reads the run ended finds its whole log stored. Throws
  // on a store error; the caller tries again (it resumes where the last write stopped).
  // Never calls back into the dispatcher: it may hold its own lock.
  void finish(const std::string& run_id);
  // Stops tracking a run whose end another daemon writes (docs/runs.md, Several daemons).
  void drop(const std::string& run_id);

private:
  struct Tracked {
    std::uint64_t shipped = 0;  // bytes of output.log in the store
    bool log_done = false;      // the store's copy ends here: at the cap, or fenced off
    std::string progress;       // as last stored
  };
  // Copies up to `budget` bytes of the run's log; true when more is waiting.
  bool ship_log(const std::string& run_id, Tracked& run, std::uint64_t budget);
  std::optional<common::Clock::time_point> pass();

  store::Store& store_;
  const std::string data_dir_;
  const ProgressOf progress_of_;
  const std::chrono::milliseconds every_;
  std::mutex mutex_;  // held while copying: a pass and a finish never copy one run at once
  std::map<std::string, Tracked> runs_;
  common::WorkerThread worker_;
};

}  // namespace dagctl::daemon::runner
