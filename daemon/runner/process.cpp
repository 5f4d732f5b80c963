#include "daemon/runner/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "common/defer.hpp"

namespace dagctl::daemon::runner {

namespace {

// Through syscall(): glibc 2.36 declares pidfd_open without C linkage for C++.
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// A /proc file of `pid`, empty when it cannot be read. Plain read(): a process that exits
// mid-read makes read() fail with ESRCH, which std::filebuf turns into an exception.
std::string read_proc_file(pid_t pid, const char* name) {
  const common::Fd fd(::open(("/proc/" + std::to_string(pid) + "/" + name).c_str(), O_RDONLY | O_CLOEXEC));
  std::string content;
  if (!fd) return content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {};
    if (n == 0) return content;
    content.append(buffer, static_cast<std::size_t>(n));
  }
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

pid_t process_group_of(pid_t pid) { return proc_stat(pid).group; }

// A leftover group whose leader is bwrap: it supervises the sandbox and is spared stop
// signals (SpawnSpec::supervisor_leader).
bool leader_is_sandbox(pid_t pid) {
  return read_proc_file(pid, "comm") == "bwrap\n";
}

}  // namespace

common::Result<ChildProcess> ChildProcess::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return common::make_error("nothing to run");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  DEFER { posix_spawn_file_actions_destroy(&actions); };
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, spec.output_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Copies above every target number first, so no dup2 overwrites a source still to come.
  const int first_free = 3 + static_cast<int>(spec.pass_fds.size());
  std::vector<common::Fd> passed;
  for (std::size_t i = 0; i < spec.pass_fds.size(); ++i) {
    passed.emplace_back(::fcntl(spec.pass_fds[i], F_DUPFD_CLOEXEC, first_free));
    if (!passed.back()) return common::make_error(std::string("could not pass a descriptor: ") + std::strerror(errno));
    posix_spawn_file_actions_adddup2(&actions, passed.back().get(), 3 + static_cast<int>(i));
  }
  // The daemon's sockets and database must not leak into dbt (or outlive us through it).
  posix_spawn_file_actions_addclosefrom_np(&actions, first_free);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  DEFER { posix_spawnattr_destroy(&attr); };
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t all_default;
  sigfillset(&all_default);
  sigdelset(&all_default, SIGKILL);
  sigdelset(&all_default, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, so one kill() reaches all of dbt
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);

  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  if (rc != 0) {
    return common::make_error("could not start '" + spec.argv[0] + "': " + std::strerror(rc));
  }
  common::Fd pidfd(open_pidfd(pid));
  if (!pidfd) {
    const int err = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return common::make_error(std::string("pidfd_open failed: ") + std::strerror(err));
  }
  return ChildProcess(pid, std::move(pidfd), spec.supervisor_leader);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      supervisor_leader_(other.supervisor_leader_),
      reaped_(std::exchange(other.reaped_, true)) {}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || reaped_) return;
  signal_group(SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::signal_group(int sig) const {
  if (pid_ <= 0) return;
  if (supervisor_leader_ && sig != SIGKILL) {
    signal_group_except_leader(pid_, sig);
  } else {
    ::kill(-pid_, sig);
  }
}

void signal_group_except_leader(pid_t pgid, int sig) {
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = dir.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (pid == pgid || process_group_of(pid) != pgid) continue;
    // Checked again once the pidfd holds the process: the pid cannot change hands after.
    const common::Fd fd(open_pidfd(pid));
    if (fd && process_group_of(pid) == pgid) {
      ::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0);
    }
  }
}

std::optional<ExitStatus> ChildProcess::try_reap() {
  if (reaped_) return std::nullopt;
  siginfo_t info{};
  // WNOWAIT: look without reaping, so the leader's pid (= the group id) cannot be reused
  // while we kill the rest of its group.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid == 0) {
    return std::nullopt;
  }
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

ProcStat proc_stat(pid_t pid) {
  const std::string content = read_proc_file(pid, "stat");
  // The command name (field 2) may hold spaces and parentheses: count from its last ')'.
  const auto close = content.rfind(')');
  if (close == std::string::npos || close + 2 > content.size()) return {};
  std::istringstream rest(content.substr(close + 2));
  ProcStat out;
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 4) out.parent = static_cast<pid_t>(std::stol(field));
    if (i == 5) out.group = static_cast<pid_t>(std::stol(field));
    if (i == 22) out.start_ticks = std::stoll(field);
  }
  return out;
}

std::int64_t process_start_ticks(pid_t pid) { return proc_stat(pid).start_ticks; }

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

void stop_orphan_groups(const std::vector<std::pair<pid_t, std::int64_t>>& processes,
                        std::chrono::milliseconds grace) {
  std::vector<std::pair<pid_t, common::Fd>> alive;
  std::vector<pid_t> ours;  // groups that are ours to kill at the end
  for (const auto& [pid, ticks] : processes) {
    if (pid <= 0) continue;
    const auto now_ticks = process_start_ticks(pid);
    if (now_ticks == 0) {
      // The leader is gone; members of its group may remain (a pid that leads a live
      // group cannot be reused, so that group is still dbt's).
      ::kill(-pid, SIGKILL);
    } else if (now_ticks == ticks) {
      alive.emplace_back(pid, common::Fd(open_pidfd(pid)));
      ours.push_back(pid);
    }
    // Otherwise the pid belongs to an unrelated process now: leave it alone.
  }
  // As for a cancel (docs/runs.md): SIGINT lets dbt cancel its warehouse queries. All
  // groups at once, so many leftovers cost one grace period, not one each.
  for (const int sig : {SIGINT, SIGTERM}) {
    if (alive.empty()) break;
    for (const auto& [pid, fd] : alive) {
      if (leader_is_sandbox(pid)) {
        signal_group_except_leader(pid, sig);
      } else {
        ::kill(-pid, sig);
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + grace;
    std::erase_if(alive, [&](const auto& p) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      return p.second && wait_readable(p.second.get(), std::max(left, std::chrono::milliseconds(0)));
    });
  }
  for (const auto& [pid, fd] : alive) {
    ::kill(-pid, SIGKILL);
    if (fd) wait_readable(fd.get(), std::chrono::seconds(5));
  }
  for (const pid_t pid : ours) ::kill(-pid, SIGKILL);  // whatever is left of each group
}

std::vector<pid_t> processes_with_env(const std::string& entry) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = dir.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    // Empty for another user's process, or one that is gone.
    const std::string environ = '\0' + read_proc_file(pid, "environ");
    if (environ.find('\0' + entry + '\0') != std::string::npos) out.push_back(pid);
  }
  return out;
}

common::Result<common::Fd> sealed_memfd(const char* name, std::string_view content) {
  common::Fd fd(static_cast<int>(::syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (!fd) return common::make_error(std::string("memfd_create failed: ") + std::strerror(errno));
  for (std::size_t off = 0; off < content.size();) {
    const ssize_t n = ::write(fd.get(), content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return common::make_error(std::string("could not write ") + name + ": " + std::strerror(errno));
    off += static_cast<std::size_t>(n);
  }
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return common::make_error(std::string("could not seal ") + name + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace dagctl::daemon::runner
