// Worker: one project's warm dbt worker process (dagctl_worker.py, docs/runs.md#warm-workers)
// and the conversation with it over a SOCK_SEQPACKET socket. WarmChild: one run's dbt
// process, forked by the worker, as the executor supervises it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "daemon/runner/process.hpp"
#include "daemon/runner/warm/message.hpp"

namespace dagctl::daemon::runner::warm {

// In every worker's environment as "DAGCTL_WARM_WORKER=<data dir>": the next start finds
// workers a crashed daemon left behind by it.
inline constexpr const char* kWorkerMarker = "DAGCTL_WARM_WORKER";

// The worker's Python, built into dagctld (cmake/EmbedText.cmake).
std::string_view worker_source();

struct WorkerLaunch {
  // The interpreter and its arguments, possibly inside bwrap; the script is fd 4
  // ("/proc/self/fd/4" in argv), the socket fd 3.
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;        // the project folder
  std::string log_path;   // the worker's own output (dbt's output of runs goes to each run's log)
  bool supervisor_leader = false;  // argv starts with bwrap
};

class Worker {
public:
  enum class State { starting, parsing, ready, running, gone };

  static common::Result<std::unique_ptr<Worker>> start(const WorkerLaunch& launch);
  ~Worker();  // kills the worker's process group and reaps it
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Waits until the worker has imported dbt and parsed the project once. An error says why
  // the project cannot be warm (dbt-core missing or out of range, the worker died).
  // Returns early, with an error, once `stop_fd` (-1 for none) is readable.
  common::Result<void> wait_ready(std::chrono::milliseconds timeout, int stop_fd = -1);

  // Hands the worker a run; the child it forks comes back as a WarmChild. Gives up when
  // `stop_fd` (the run's stop event, -1 for none) becomes readable or after `timeout` (the
  // worker may re-parse first; the project's code runs in that parse and may never end):
  // the worker is then killed, so no run it forks later goes unsupervised, and the pool
  // replaces it.
  common::Result<std::unique_ptr<RunProcess>> start_run(const std::string& run_id,
                                                         const std::vector<std::string>& dbt_args,
                                                         const std::vector<std::string>& env, const std::string& cwd,
                                                         int output_fd, int stop_fd = -1,
                                                         std::chrono::milliseconds timeout = std::chrono::minutes(2));

  // Reads what the worker said meanwhile (non-blocking), so its state is current.
  void refresh();
  // True while the process dagctld started lives. Once it is gone (bwrap killed, say) the
  // rest of its group is killed, the Python worker included, and with it its run (PDEATHSIG).
  bool alive();
  // Closes the socket: the worker finishes its runs and exits. Returns at once.
  void close();

  State state();
  // The process dagctld started (bwrap, when sandboxed), and the Python worker itself.
  pid_t pid() const { return process_.pid(); }
  pid_t python_pid();
  std::string dbt_version();
  std::vector<std::string> watched_files();
  std::int64_t runs() const { return runs_; }
  common::TimePoint started_at() const { return started_at_; }
  std::string last_parse_note();  // why the last parse gave no manifest, "" when it did

  // Used by WarmChild: the exit the worker reported for `run_id`, waiting up to `timeout`.
  // nullopt when the worker is gone without saying.
  std::optional<ExitStatus> wait_exit(const std::string& run_id, std::chrono::milliseconds timeout);

private:
  Worker(ChildProcess process, common::Fd socket)
      : process_(std::move(process)), socket_(std::move(socket)), started_at_(common::now()) {}
  // Reads at most one message within `timeout` and applies it. False at end of file.
  bool pump(std::chrono::milliseconds timeout);
  // Kills the worker's process group: it stopped answering, or its run was given up.
  void abandon(const std::string& why);
  void apply(const WorkerMessage& message, std::vector<common::Fd> fds);

  std::mutex process_mutex_;  // process_'s reaping
  ChildProcess process_;
  common::Fd socket_;
  common::TimePoint started_at_;
  std::int64_t runs_ = 0;

  std::mutex mutex_;  // everything below, and reading the socket
  State state_ = State::starting;
  bool hello_ = false;
  bool parsed_once_ = false;
  std::string unusable_;
  std::string dbt_version_;
  pid_t python_pid_ = 0;
  std::vector<std::string> watched_;
  std::string parse_note_;
  struct Started {
    std::string run_id;
    common::Fd pidfd;
    std::string refused;
  };
  std::optional<Started> started_;
  std::map<std::string, ExitStatus> exits_;
};

}  // namespace dagctl::daemon::runner::warm
