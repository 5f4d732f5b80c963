// Copies the logs of the runs running here into the store while they run, so that every
// daemon sharing the store serves them (docs/scale-out.md#logs-and-artifacts). On only
// when the store can be shared: the data dir's own SQLite file has no other reader.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/worker_thread.hpp"
#include "daemon/store/log_store.hpp"

namespace dagctl::daemon::runner {

// What of one run's log the store keeps at most; the rest stays in output.log on the
// daemon that ran it (docs/limits.md).
inline constexpr std::uint64_t kMaxStoredLogBytes = 32ull << 20;

class LogShipper {
public:
  LogShipper(store::LogStore& logs, std::string data_dir,
             std::chrono::milliseconds every = std::chrono::milliseconds(500));
  ~LogShipper();  // stop()
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;

  void start();
  void stop();
  // Ships the run's log from now on, every `every` while it grows.
  void track(const std::string& run_id);
  // Ships what is left of the run's log, then stops tracking it. Called before the run's end
  // is written, so a daemon that reads the run ended finds its whole log stored. Throws
  // on a store error; the caller tries again (it resumes where the last write stopped).
  void finish(const std::string& run_id);
  // Stops tracking a run whose end another daemon writes (docs/runs.md, Several daemons).
  void drop(const std::string& run_id);

private:
  struct Tracked {
    std::uint64_t shipped = 0;  // bytes of output.log in the store
    bool done = false;          // the store's copy ends here: at the cap, or fenced off
  };
  // Ships up to `budget` bytes of the run's log; true when more is waiting.
  bool ship(const std::string& run_id, Tracked& run, std::uint64_t budget);
  std::optional<common::Clock::time_point> pass();

  store::LogStore& logs_;
  const std::string data_dir_;
  const std::chrono::milliseconds every_;
  std::mutex mutex_;  // held while shipping: a pass and a finish never ship one run at once
  std::map<std::string, Tracked> runs_;
  common::WorkerThread worker_;
};

}  // namespace dagctl::daemon::runner
