#include "daemon/runner/sandbox.hpp"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner {

namespace fs = std::filesystem;

std::optional<SandboxMode> parse_sandbox_mode(std::string_view text) {
  if (text == "auto") return SandboxMode::automatic;
  if (text == "on") return SandboxMode::on;
  if (text == "off") return SandboxMode::off;
  return std::nullopt;
}

std::string_view to_string(SandboxMode mode) {
  switch (mode) {
    case SandboxMode::automatic: return "auto";
    case SandboxMode::on: return "on";
    case SandboxMode::off: return "off";
  }
  return "off";
}

bool is_daemon_secret(std::string_view name) {
  return name == "DAGCTL_TOKEN" || name == "DAGCTL_WEBHOOK_AUTH_PASSWORD";
}

std::map<std::string, std::string> inherited_environment(const std::vector<std::string>& daemon_env,
                                                          const std::vector<std::string>& pass_env,
                                                          bool sandboxed) {
  static const char* const kAllowed[] = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR",
                                         "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"};
  auto allowed = [&](std::string_view name) {
    if (is_daemon_secret(name)) return false;
    if (name.rfind("LC_", 0) == 0) return true;
    for (const char* a : kAllowed) {
      if (name == a) return true;
    }
    for (const auto& p : pass_env) {
      if (name == p) return true;
    }
    return false;
  };
  std::map<std::string, std::string> out;
  for (const auto& entry : daemon_env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string_view name(entry.data(), eq);
    if (allowed(name)) out.emplace(std::string(name), entry.substr(eq + 1));
  }
  // The daemon's TMPDIR may not exist (or be writable) inside; the private /tmp is both.
  if (sandboxed) out["TMPDIR"] = "/tmp";
  return out;
}

bool path_within(std::string_view path, std::string_view dir) {
  if (dir == "/") return !path.empty() && path.front() == '/';
  if (path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

namespace {

// The options every sandbox starts with (the start-up probe uses them alone). No
// --new-session: dbt must stay in the process group that cancel signals. No
// --die-with-parent: after a daemon crash the next start stops leftover dbt gracefully
// (SIGINT first), as without the sandbox (docs/sandbox.md).
std::vector<std::string> base_options(const std::string& bwrap) {
  return {bwrap,           "--ro-bind", "/",   "/",         "--dev",   "/dev", "--proc", "/proc",
          "--unshare-pid", "--cap-drop", "ALL", "--tmpfs",  "/tmp"};
}

void add(std::vector<std::string>& argv, std::initializer_list<std::string> words) {
  argv.insert(argv.end(), words);
}

}  // namespace

std::vector<std::string> bwrap_argv(const SandboxSpec& s, const std::vector<std::string>& command) {
  std::vector<std::string> argv = base_options(s.bwrap);
  // Order matters: a later mount covers an earlier one. So what must stay hidden is
  // mounted after what may be shown, and only the run's own folders come after that.
  for (const auto& n : s.needed) {
    if (path_within(n, "/tmp")) add(argv, {"--ro-bind", n, n});
  }
  for (const auto& w : s.writable) add(argv, {"--bind", w, w});

  // The socket's folder holds only the socket unless it is a folder the run needs (say
  // HOME); then the socket alone is covered, by /dev/null, which no one can connect to.
  const std::string socket_dir = fs::path(s.socket_path).parent_path().string();
  bool socket_dir_needed = socket_dir.empty() || path_within(s.data_dir, socket_dir) ||
                           path_within(s.project_dir, socket_dir) || path_within(s.run_dir, socket_dir);
  for (const auto* list : {&s.needed, &s.writable}) {
    for (const auto& p : *list) socket_dir_needed = socket_dir_needed || path_within(p, socket_dir);
  }
  auto hide = [&](std::vector<std::string>& out, const std::string& inside) {
    if (path_within(s.data_dir, inside)) add(out, {"--tmpfs", s.data_dir});
    if (s.socket_path.empty() || !path_within(s.socket_path, inside)) return;
    if (socket_dir_needed) {
      add(out, {"--ro-bind", "/dev/null", s.socket_path});
    } else {
      add(out, {"--tmpfs", socket_dir});
    }
  };
  hide(argv, "/");
  add(argv, {"--bind", s.project_dir, s.project_dir});
  hide(argv, s.project_dir);  // a data dir or socket inside the project stays hidden
  add(argv, {"--bind", s.run_dir, s.run_dir});
  if (s.state_dir) add(argv, {"--ro-bind", *s.state_dir, *s.state_dir});
  add(argv, {"--chdir", s.project_dir, "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

namespace {

std::optional<std::string> find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty() || dir.front() != '/') continue;
    const std::string candidate = dir + "/" + name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

struct Captured {
  bool exited_zero = false;
  std::string output;
};

// Runs argv with a bare environment for at most 10 s; its output, trimmed.
Captured run_captured(const std::vector<std::string>& argv, const std::string& output_path) {
  Captured out;
  std::error_code ec;
  fs::remove(output_path, ec);
  const char* path = std::getenv("PATH");
  auto spawned = ChildProcess::spawn({argv, {std::string("PATH=") + (path ? path : "/usr/bin:/bin")}, "/", output_path});
  if (!spawned) {
    out.output = spawned.error();
    return out;
  }
  ChildProcess child = std::move(spawned).value();
  pollfd p{child.pidfd(), POLLIN, 0};
  ::poll(&p, 1, 10000);
  if (const auto exit = child.try_reap()) {
    out.exited_zero = exit->exit_code && *exit->exit_code == 0;
  } else {
    out.output = "it did not finish within 10 s";
  }
  std::ifstream in(output_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(output_path, ec);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);  // the first line says it
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  if (!text.empty()) out.output = text;
  return out;
}

}  // namespace

SandboxStatus probe_sandbox(SandboxMode mode, const std::string& scratch_dir) {
  SandboxStatus status;
  status.mode = mode;
  if (mode == SandboxMode::off) {
    status.detail = "turned off (--sandbox off)";
    return status;
  }
  const auto bwrap = find_in_path("bwrap");
  if (!bwrap) {
    status.detail = "bwrap (bubblewrap) is not installed or not in PATH";
    return status;
  }
  const std::string scratch = scratch_dir + "/sandbox-probe.out";
  const Captured version = run_captured({*bwrap, "--version"}, scratch);
  std::string name = "bwrap";
  if (version.exited_zero && version.output.rfind("bubblewrap ", 0) == 0) {
    name += version.output.substr(std::string("bubblewrap").size());
  }
  auto argv = base_options(*bwrap);
  add(argv, {"--", "true"});
  const Captured probe = run_captured(argv, scratch);
  if (!probe.exited_zero) {
    status.detail = name + " cannot create a sandbox here: " +
                    (probe.output.empty() ? std::string("`bwrap ... true` failed") : probe.output);
    return status;
  }
  status.active = true;
  status.detail = name;
  status.bwrap = *bwrap;
  return status;
}

}  // namespace dagctl::daemon::runner
