#include "daemon/runner/warm/worker.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

namespace dagctl::daemon::runner::warm {

namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxMessage = 64 * 1024;
constexpr int kMaxFds = 4;

// The pid a pidfd refers to, as this process sees it (the worker may live in bwrap's
// pid namespace, where the pid it knows means nothing here).
pid_t pid_of_pidfd(int fd) {
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("Pid:", 0) == 0) return static_cast<pid_t>(std::atol(line.c_str() + 4));
  }
  return -1;
}

common::Result<void> send_message(int socket, const nlohmann::json& message, int fd = -1) {
  const std::string data = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return common::make_error(std::string("the warm worker cannot be reached: ") + std::strerror(errno));
  return {};
}

// One run's dbt, forked by the worker: the worker reaps it and says how it ended.
class WarmChild : public RunProcess {
public:
  WarmChild(Worker& worker, std::string run_id, common::Fd pidfd, pid_t pid)
      : worker_(worker), run_id_(std::move(run_id)), pidfd_(std::move(pidfd)), pid_(pid) {}
  ~WarmChild() override {
    if (ended_) return;
    signal_group(SIGKILL);
    worker_.wait_exit(run_id_, 5s);
  }

  pid_t pid() const override { return pid_; }
  int pidfd() const override { return pidfd_.get(); }
  void signal_group(int sig) const override {
    // The child leads its own group; the pidfd pins the pid until it is reaped.
    if (pid_ > 0) ::kill(-pid_, sig);
  }
  std::optional<ExitStatus> try_reap() override {
    if (ended_) return std::nullopt;
    if (!wait_readable(pidfd_.get(), 0ms)) {
      if (worker_.alive()) return std::nullopt;
      // The worker's process is gone (its group was killed with it): the run dies of
      // PR_SET_PDEATHSIG; make sure of it (docs/runs.md#warm-workers).
      if (!wait_readable(pidfd_.get(), 2s)) {
        ::kill(-pid_, SIGKILL);
        wait_readable(pidfd_.get(), 2s);
      }
    }
    ended_ = true;
    if (auto status = worker_.wait_exit(run_id_, 10s)) return status;
    // The worker is gone without telling (killed): its child died with it (PDEATHSIG).
    ::kill(-pid_, SIGKILL);
    return ExitStatus{std::nullopt, SIGKILL};
  }

private:
  Worker& worker_;
  std::string run_id_;
  common::Fd pidfd_;
  pid_t pid_;
  bool ended_ = false;
};

}  // namespace

common::Result<std::unique_ptr<Worker>> Worker::start(const WorkerLaunch& launch) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return common::make_error(std::string("socketpair failed: ") + std::strerror(errno));
  }
  common::Fd ours(pair[0]);
  common::Fd theirs(pair[1]);
  // The script goes in as a sealed memfd: no file the worker or a run could change.
  auto script = sealed_memfd("dagctl_worker.py", worker_source());
  if (!script) return common::make_error(script.error());
  SpawnSpec spec{launch.argv, launch.env, launch.cwd, launch.log_path, launch.supervisor_leader, {}};
  spec.supervisor_leader = launch.supervisor_leader;
  spec.pass_fds = {theirs.get(), script->get()};
  auto spawned = ChildProcess::spawn(spec);
  if (!spawned) return common::make_error(spawned.error());
  return std::unique_ptr<Worker>(new Worker(std::move(spawned).value(), std::move(ours)));
}

Worker::~Worker() {
  socket_.reset();
  std::lock_guard lock(process_mutex_);
  process_.signal_group(SIGKILL);
  process_.try_reap();
  while (!process_.reaped() && wait_readable(process_.pidfd(), 1s)) process_.try_reap();
}

void Worker::close() {
  std::lock_guard lock(mutex_);
  if (socket_) ::shutdown(socket_.get(), SHUT_RDWR);
}

bool Worker::pump(std::chrono::milliseconds timeout) {
  if (!wait_readable(socket_.get(), timeout)) return true;
  std::lock_guard lock(mutex_);
  std::string buffer(kMaxMessage, '\0');
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)]{};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // another thread took it
  std::vector<common::Fd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }
  if (n <= 0) {
    state_ = State::gone;
    return false;
  }
  const auto message = parse_worker_message(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  if (!message || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
    // Not our worker's protocol: the project's code (run while it parses) may have taken it
    // over. Its runs go cold from now on.
    spdlog::warn("warm worker pid {}: {}: stopping it", process_.pid(), message ? "a message too long" : message.error());
    state_ = State::gone;
    unusable_ = "the worker broke the protocol";
    return false;
  }
  apply(message.value(), std::move(fds));
  return true;
}

void Worker::apply(const WorkerMessage& m, std::vector<common::Fd> fds) {
  using Kind = WorkerMessage::Kind;
  switch (m.kind) {
    case Kind::hello:
      hello_ = true;
      dbt_version_ = m.dbt_version;
      watched_ = m.watch;
      if (fds.size() == 1) python_pid_ = pid_of_pidfd(fds.front().get());
      break;
    case Kind::unusable:
      unusable_ = m.reason;
      state_ = State::gone;
      break;
    case Kind::parsing:
      if (state_ != State::running) state_ = State::parsing;
      break;
    case Kind::parsed:
      parsed_once_ = true;
      parse_note_ = m.ok ? "" : m.reason;
      if (state_ != State::running) state_ = State::ready;
      break;
    case Kind::started:
    case Kind::refused: {
      Started s;
      s.run_id = m.run_id;
      if (m.kind == Kind::refused) {
        s.refused = m.reason;
      } else if (fds.size() == 1) {
        s.pidfd = std::move(fds.front());
        state_ = State::running;
      } else {
        s.refused = "the worker did not hand over the run's process";
      }
      started_ = std::move(s);
      break;
    }
    case Kind::exited:
      exits_[m.run_id] = *m.exit;
      state_ = State::ready;
      break;
  }
}

common::Result<void> Worker::wait_ready(std::chrono::milliseconds timeout, int stop_fd) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (!unusable_.empty()) return common::make_error(unusable_);
      if (state_ == State::gone) return common::make_error("the worker ended before it was ready (see its log)");
      if (parsed_once_) return {};
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= 0ms) return common::make_error("the worker was not ready within " + std::to_string(timeout.count() / 1000) + " s");
    if (stop_fd >= 0 && wait_readable(stop_fd, 0ms)) return common::make_error("the run was stopped while its worker started");
    if (!pump(stop_fd >= 0 ? std::min(left, std::chrono::milliseconds(100)) : left)) {
      std::lock_guard lock(mutex_);
      return common::make_error(unusable_.empty() ? "the worker ended before it was ready (see its log)" : unusable_);
    }
  }
}

common::Result<std::unique_ptr<RunProcess>> Worker::start_run(const std::string& run_id,
                                                               const std::vector<std::string>& dbt_args,
                                                               const std::vector<std::string>& env,
                                                               const std::string& cwd, int output_fd, int stop_fd,
                                                               std::chrono::milliseconds timeout) {
  nlohmann::json env_object = nlohmann::json::object();
  for (const auto& kv : env) {
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env_object[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  {
    std::lock_guard lock(mutex_);
    started_.reset();
    if (state_ == State::gone) return common::make_error("the worker has ended");
  }
  const nlohmann::json request = {{"op", "run"}, {"run_id", run_id}, {"argv", dbt_args}, {"env", env_object}, {"cwd", cwd}};
  if (auto sent = send_message(socket_.get(), request, output_fd); !sent) return common::make_error(sent.error());
  // The worker may re-parse first (a project file changed): that is part of the run.
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (started_ && started_->run_id == run_id) {
        if (!started_->refused.empty()) return common::make_error(started_->refused);
        common::Fd pidfd = std::move(started_->pidfd);
        started_.reset();
        ++runs_;
        const pid_t pid = pid_of_pidfd(pidfd.get());
        // Only the worker's own child, leading its own group, is ever signalled as the run.
        const ProcStat stat = proc_stat(pid);
        if (pid <= 0 || stat.parent != (python_pid_ > 0 ? python_pid_ : process_.pid()) || stat.group != pid) {
          state_ = State::gone;
          unusable_ = "the worker handed over a process that is not its run";
          return common::make_error(unusable_);
        }
        return std::unique_ptr<RunProcess>(new WarmChild(*this, run_id, std::move(pidfd), pid));
      }
      if (state_ == State::gone) return common::make_error("the worker ended before starting the run");
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= 0ms) {
      abandon("the worker did not start a run within " + std::to_string(timeout.count() / 1000) + " s (its parse hangs?)");
      return common::make_error("the worker did not start the run in time");
    }
    if (stop_fd >= 0 && wait_readable(stop_fd, 0ms)) {
      abandon("a run was stopped while the worker had not started it yet");
      return common::make_error("the run was stopped before the worker started it");
    }
    // Short waits: a stop of the run must be seen while the worker is busy parsing.
    if (!pump(std::min(left, std::chrono::milliseconds(100)))) return common::make_error("the worker ended before starting the run");
  }
}

void Worker::abandon(const std::string& why) {
  spdlog::warn("warm worker pid {}: {}: stopping it", process_.pid(), why);
  {
    std::lock_guard lock(process_mutex_);
    process_.signal_group(SIGKILL);
  }
  std::lock_guard lock(mutex_);
  state_ = State::gone;
  if (unusable_.empty()) unusable_ = why;
}

std::optional<ExitStatus> Worker::wait_exit(const std::string& run_id, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (const auto it = exits_.find(run_id); it != exits_.end()) {
        const ExitStatus e = it->second;
        exits_.erase(it);
        return e;
      }
      if (state_ == State::gone) return std::nullopt;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= 0ms || !pump(left)) return std::nullopt;
  }
}

void Worker::refresh() {
  while (wait_readable(socket_.get(), 0ms)) {
    if (!pump(0ms)) break;
  }
  alive();
}

bool Worker::alive() {
  {
    std::lock_guard lock(process_mutex_);
    if (!process_.reaped() && !process_.try_reap()) return true;
  }
  std::lock_guard lock(mutex_);
  state_ = State::gone;
  return false;
}

Worker::State Worker::state() {
  std::lock_guard lock(mutex_);
  return state_;
}

pid_t Worker::python_pid() {
  std::lock_guard lock(mutex_);
  return python_pid_ > 0 ? python_pid_ : process_.pid();
}

std::string Worker::dbt_version() {
  std::lock_guard lock(mutex_);
  return dbt_version_;
}

std::vector<std::string> Worker::watched_files() {
  std::lock_guard lock(mutex_);
  return watched_;
}

std::string Worker::last_parse_note() {
  std::lock_guard lock(mutex_);
  return parse_note_;
}

}  // namespace dagctl::daemon::runner::warm
