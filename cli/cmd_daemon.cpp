// status, org show, daemon start|stop.
#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "common/data_dir.hpp"
#include "common/fd.hpp"
#include "common/paths.hpp"

extern char** environ;

namespace dagctl::cli {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// dagctld beside this dagctl (a build or an install), else from PATH.
std::string find_daemon_executable() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto sibling = self.parent_path() / "dagctld";
    if (fs::exists(sibling)) return sibling.string();
  }
  return "dagctld";
}

// The shell's environment minus dagctl's secrets: the daemon does not need them, and what
// it does not have it cannot leak (docs/sandbox.md).
std::vector<std::string> daemon_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (name == "DAGCTL_TOKEN" || name == "DAGCTL_WEBHOOK_AUTH_PASSWORD") continue;
    out.emplace_back(entry);
  }
  return out;
}

// Waits for `done` with a deadline; the daemon needs a moment to bind or to stop.
template <typename F>
bool wait_until(F done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

}  // namespace

void add_daemon_commands(CLI::App& app, Context& ctx) {
  app.add_subcommand("status", "Is dagctld running? Version, pid, addresses, runs")->callback([&ctx] {
    const auto d = ctx.client().get("/api/v1/daemon");
    if (ctx.json()) return print_json(d);
    std::cout << fmt::format("dagctld {} running (pid {})\nsocket:   {}\nhttp:     {}\ndata dir: {}\nruns:     {} running, {} queued\n",
                             d["version"].get<std::string>(), d["pid"].dump(), d["socket"].get<std::string>(),
                             text_of(d["http"]), d["data_dir"].get<std::string>(), d["runs"]["running"].dump(),
                             d["runs"]["queued"].dump());
    if (const auto r = d.find("retention"); r != d.end() && r->is_object()) {
      const int days = r->value("keep_days", 0);
      const int runs = r->value("keep_runs", 0);
      std::cout << fmt::format("keeps:    {}, {}\n", days > 0 ? fmt::format("{} days", days) : "runs of any age",
                               runs > 0 ? fmt::format("the newest {} runs per job", runs) : "any number of runs per job");
    }
    if (const auto s = d.find("sandbox"); s != d.end() && s->is_object()) {
      // "on, bwrap 0.8.0 (--sandbox auto)", "off (--sandbox off)", "off: why not (--sandbox auto)".
      const std::string mode = s->value("mode", "");
      const std::string state = s->value("active", false) ? "on, " + s->value("detail", "")
                                : mode == "off"               ? std::string("off")
                                                              : "off: " + s->value("detail", "");
      std::cout << fmt::format("sandbox:  {} (--sandbox {})\n", state, mode);
    }
  });

  auto* org = app.add_subcommand("org", "The organization that owns tokens and projects");
  org->require_subcommand(1);
  org->add_subcommand("show", "Its id and name")->callback([&ctx] {
    const auto o = ctx.client().get("/api/v1/org");
    if (ctx.json()) return print_json(o);
    std::cout << fmt::format("{} ({})\n", o["name"].get<std::string>(), o["id"].get<std::string>());
  });

  auto* group = app.add_subcommand("daemon", "Start or stop dagctld in the background");
  group->require_subcommand(1);
  {
    auto* cmd = group->add_subcommand("start", "Start dagctld in the background (it logs to DATA_DIR/dagctld.log)");
    struct Args {
      std::string data_dir, listen, dbt;
      int max_parallel = 0;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("--data-dir", a->data_dir, "Daemon state folder")->envname("DAGCTL_DATA_DIR");
    cmd->add_option("--listen", a->listen, "HOST:PORT or none");
    cmd->add_option("--dbt", a->dbt, "dbt executable");
    cmd->add_option("--max-parallel", a->max_parallel, "Runs at once");
    cmd->callback([&ctx, a] {
      const Client client = ctx.client();
      if (client.reachable()) {
        std::cout << "dagctld is already running on " << ctx.socket << "\n";
        return;
      }
      std::string data_dir = a->data_dir;
      if (data_dir.empty()) {
        auto dir = common::default_data_dir();
        if (!dir) throw std::runtime_error(dir.error());
        data_dir = std::move(dir).value();
      }
      if (const auto made = common::ensure_directory(data_dir, /*private_dir=*/true); !made) {
        throw std::runtime_error(made.error());
      }
      const std::string log_path = common::DataDir(data_dir).daemon_log();
      std::vector<std::string> args = {find_daemon_executable(), "--data-dir", data_dir, "--socket", ctx.socket};
      if (!a->listen.empty()) args.insert(args.end(), {"--listen", a->listen});
      if (!a->dbt.empty()) args.insert(args.end(), {"--dbt", a->dbt});
      if (a->max_parallel > 0) args.insert(args.end(), {"--max-parallel", std::to_string(a->max_parallel)});

      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
      posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
      posix_spawnattr_t attr;
      posix_spawnattr_init(&attr);
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // outlives this terminal
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      auto env_strings = daemon_environment();
      std::vector<char*> envp;
      for (auto& entry : env_strings) envp.push_back(entry.data());
      envp.push_back(nullptr);
      pid_t pid = 0;
      const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attr);
      if (rc != 0) throw CliError(fmt::format("cannot start {}: {}; is dagctld installed?", args[0], std::strerror(rc)));
      const bool up = wait_until([&] {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) return true;  // it exited: failed
        return client.reachable();
      }, 15s);
      if (!up || !client.reachable()) {
        throw CliError("dagctld did not start; see " + log_path);
      }
      if (ctx.json()) return print_json({{"pid", pid}, {"socket", ctx.socket}, {"log", log_path}});
      std::cout << fmt::format("dagctld started (pid {}), socket {}, log {}\n", pid, ctx.socket, log_path);
    });
  }
  {
    auto* cmd = group->add_subcommand("stop", "Stop dagctld: running dbt is stopped, queued runs stay queued");
    cmd->callback([&ctx] {
      const Client client = ctx.client();
      const auto d = client.get("/api/v1/daemon");
      const int pid = d["pid"].get<int>();
      // A pidfd becomes readable when the process exits, reaped or not (kill(pid, 0) would
      // still succeed on an unreaped zombie).
      common::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      if (::kill(pid, SIGTERM) != 0) throw CliError(fmt::format("cannot signal dagctld (pid {}): {}", pid, std::strerror(errno)));
      pollfd p{pidfd.get(), POLLIN, 0};
      const bool stopped = pidfd ? ::poll(&p, 1, 60000) == 1 : wait_until([&] { return ::kill(pid, 0) != 0; }, 60s);
      if (!stopped) {
        throw CliError(fmt::format("dagctld (pid {}) is still stopping after 60 s; see its log", pid));
      }
      if (ctx.json()) return print_json({{"stopped", pid}});
      std::cout << fmt::format("dagctld (pid {}) stopped\n", pid);
    });
  }
}

}  // namespace dagctl::cli
