// ChildProcess: one spawned program in its own process group. It must be reaped: the
// destructor kills the whole group and reaps the leader if nobody waited for it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace dagctl::daemon::runner {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // the child's whole environment, "K=V"
  std::string cwd;
  std::string output_path;  // stdout and stderr are appended here; stdin is /dev/null
  // The leader only supervises the rest of its group (bwrap): it would die of SIGINT or
  // SIGTERM and take the group with it, so those go to the other members only.
  bool supervisor_leader = false;
  // Descriptors the child gets as 3, 4, ... in this order (the warm worker's socket).
  std::vector<int> pass_fds{};
};

// How a process ended: exactly one of the two is set.
struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
};

// A run's dbt process as the executor supervises it: a ChildProcess of the daemon (the cold
// path), or a child forked by the project's warm worker (runner/warm/).
class RunProcess {
public:
  virtual ~RunProcess() = default;
  virtual pid_t pid() const = 0;
  // Readable (poll) once the process has exited.
  virtual int pidfd() const = 0;
  virtual void signal_group(int sig) const = 0;
  // How it ended, once it has (and nothing of its group is left); nullopt while it runs.
  virtual std::optional<ExitStatus> try_reap() = 0;
};

class ChildProcess : public RunProcess {
public:
  // posix_spawn, never a shell. The child gets a new process group, an empty signal mask,
  // default signal dispositions and no inherited descriptors but 0, 1 and 2.
  static common::Result<ChildProcess> spawn(const SpawnSpec& spec);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess() override;

  pid_t pid() const override { return pid_; }
  // Readable (poll) once the leader has exited.
  int pidfd() const override { return pidfd_.get(); }
  // Sends `sig` to every process of the group. Harmless after they are all gone.
  void signal_group(int sig) const override;
  // Reaps the leader if it has exited, after killing whatever is left of its group, so no
  // grandchild outlives the run. nullopt while the leader still runs.
  std::optional<ExitStatus> try_reap() override;
  bool reaped() const { return reaped_; }

private:
  ChildProcess(pid_t pid, common::Fd pidfd, bool supervisor_leader)
      : pid_(pid), pidfd_(std::move(pidfd)), supervisor_leader_(supervisor_leader) {}
  pid_t pid_ = -1;
  common::Fd pidfd_;
  bool supervisor_leader_ = false;
  bool reaped_ = false;
};

// Fields of /proc/PID/stat (4, 5 and 22); all 0 when there is no such process.
struct ProcStat {
  pid_t parent = 0;
  pid_t group = 0;
  std::int64_t start_ticks = 0;
};
ProcStat proc_stat(pid_t pid);

// Waits until `fd` is readable (poll, EINTR retried) or `timeout` passed. True when readable.
bool wait_readable(int fd, std::chrono::milliseconds timeout);

// The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), to
// tell a process from a later one that reused its pid. 0 when there is no such process.
std::int64_t process_start_ticks(pid_t pid);

// A sealed memfd (no write, grow or shrink) holding `content`: a script a child runs as
// /proc/self/fd/N that nothing, not the child itself, can change.
common::Result<common::Fd> sealed_memfd(const char* name, std::string_view content);

// Stops process groups we did not spawn (left over by a daemon that died): SIGINT, then
// SIGTERM and SIGKILL after `grace` each, to all groups together, but only where a pid
// still is the process that started at its start ticks. Returns once the leaders are gone.
void stop_orphan_groups(const std::vector<std::pair<pid_t, std::int64_t>>& processes,
                        std::chrono::milliseconds grace);

// Sends `sig` to every process of group `pgid` but its leader (each checked through a
// pidfd, so a pid reused meanwhile is never hit).
void signal_group_except_leader(pid_t pgid, int sig);

// Processes of this user whose environment holds `entry` exactly ("K=V").
std::vector<pid_t> processes_with_env(const std::string& entry);

}  // namespace dagctl::daemon::runner
