// status, org show, daemon start|stop.
#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/daemon_lines.hpp"
#include "cli/warm_lines.hpp"
#include "common/data_dir.hpp"
#include "common/fd.hpp"
#include "common/limits.hpp"
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

// The last "error" line dagctld wrote to its log after `offset`: why a start failed, said
// where the user looks (a bad config file line, a port in use).
std::string last_error_line(const std::string& log_path, std::uintmax_t offset) {
  std::ifstream in(log_path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string found;
  for (std::string line; std::getline(in, line);) {
    if (line.find("error") != std::string::npos) found = line;
  }
  if (const auto at = found.find("dagctld: error: "); at != std::string::npos) found = found.substr(at + 16);
  return found.size() > 400 ? found.substr(0, 400) + "..." : found;
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

// A word as a POSIX shell reads it back: bare when safe, else in single quotes.
std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + shell_word(w);
  return out;
}

// A setting's value as its flag takes it: "2" for 2, "true" for true.
std::string flag_value(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

// The flags that give a daemon `name = value` again; none for null or an empty list.
std::vector<std::string> setting_flags(const std::string& name, const nlohmann::json& value) {
  if (value.is_boolean()) return {"--" + name + "=" + value.dump()};
  if (value.is_null()) return {};
  std::vector<std::string> out;
  for (const auto& item : value.is_array() ? value : nlohmann::json::array({value})) {
    out.insert(out.end(), {"--" + name, flag_value(item)});
  }
  return out;
}

// DAGCTL_MAX_PARALLEL for max-parallel: every dagctld flag's variable (man/dagctld.8).
std::string variable_of(const std::string& name) {
  std::string out = "DAGCTL_";
  for (const char c : name) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The socket `daemon start` uses: --socket or DAGCTL_SOCKET when given, else the one of
// its data dir (docs/daemon.md#where-things-are).
std::string start_socket(const Context& ctx, const std::string& data_dir_flag) {
  if (ctx.socket != common::default_socket_path()) return ctx.socket;  // --socket
  const auto where = common::resolve_locations(data_dir_flag, "");
  if (!where) throw CliError(where.error());
  return where->socket;
}

// The settings dagctld last started with in this data dir (docs/daemon.md#remembered-settings),
// as flags, but those that something says now: a flag of this command, a DAGCTL_*
// variable or the config file (which dagctld reads itself).
std::vector<std::string> remembered_flags(const std::string& settings_file, const std::map<std::string, std::string>& asked,
                                          const std::vector<common::ConfigEntry>& config) {
  std::ifstream in(settings_file);
  if (!in) return {};
  const auto remembered = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!remembered.is_object() || !remembered.contains("settings") || !remembered["settings"].is_object()) return {};
  const auto from = remembered.value("from", nlohmann::json::object());
  std::vector<std::string> out;
  // dagctld writes the file; a hand edit gets only what dagctld could have written: a
  // setting by its flag's name that came from a flag or a variable, of a sane size.
  static const std::set<std::string> kRemembered = {
      "listen", "allow-remote", "dbt", "sqlmesh", "max-parallel", "log-level", "stop-grace", "webhook-ca-file",
      "webhook-retries", "webhook-retry-delay", "webhook-timeout", "allow-webhook-link-local", "keep-days",
      "keep-runs", "sandbox", "sandbox-writable", "pass-env", "warm", "warm-idle", "metrics-listen", "store"};
  for (const auto& [name, value] : remembered["settings"].items()) {
    const std::string source = from.is_object() ? from.value(name, "") : "";
    if (source == "config" || asked.count(name) || common::find_entry(config, name)) continue;
    if (!kRemembered.count(name) || (source != "flag" && source != "env") || value.dump().size() > 4096) {
      std::cerr << fmt::format("dagctl: ignoring '{}' in {}: not a setting dagctld remembers\n",
                               common::quote(name), settings_file);
      continue;
    }
    if (const char* env = std::getenv(variable_of(name).c_str()); env && *env) continue;
    const auto flags = setting_flags(name, value);
    out.insert(out.end(), flags.begin(), flags.end());
  }
  return out;
}

// `daemon start` when one answers: fine with the same settings, else which ones differ.
void already_running(const Context& ctx, const Client& client, const std::string& socket, const std::string& data_dir_flag,
                     const std::map<std::string, std::string>& asked) {
  const auto d = client.get("/api/v1/daemon");
  const auto running = d.value("settings", nlohmann::json::object());
  std::vector<std::string> differ;
  auto wanted = asked;
  if (!data_dir_flag.empty()) wanted["data-dir"] = data_dir_flag;
  for (const auto& [name, value] : wanted) {
    const auto& where = name == "data-dir" ? d : running;
    const auto found = where.find(name == "data-dir" ? "data_dir" : name);
    if (found == where.end()) continue;  // a daemon that does not say
    const std::string have = flag_value(*found);
    if (have != value) differ.push_back(fmt::format("--{}: running with {}, asked for {}", name, have, value));
  }
  if (!differ.empty()) {
    std::string message;
    for (const auto& line : differ) message += line + "; ";
    const std::string stop = socket == common::default_socket_path() ? "dagctl daemon stop"
                                                                     : "dagctl --socket " + shell_word(socket) + " daemon stop";
    throw CliError(message + "stop it first: " + stop);
  }
  const int pid = d.value("pid", 0);
  if (ctx.json()) {
    return print_json({{"already_running", true}, {"pid", pid}, {"socket", socket}, {"data_dir", d.value("data_dir", "")}});
  }
  std::cout << fmt::format("dagctld is already running (pid {}) on {}\n", pid, socket);
}

// The command that starts the daemon described by GET /api/v1/daemon again with the same
// settings: plain `dagctl daemon start` when its data dir is the default one and its
// settings are remembered there.
std::string start_command(const nlohmann::json& d) {
  const std::string data_dir = d.value("data_dir", "");
  const std::string socket = d.value("socket", "");
  const auto defaults = common::resolve_locations("", "");
  const bool default_dir = defaults && defaults->data_dir == data_dir;
  std::vector<std::string> global, flags;
  if (!default_dir) flags.insert(flags.end(), {"--data-dir", data_dir});
  const auto there = common::resolve_locations(default_dir ? "" : data_dir, "");
  if (!there || there->socket != socket) global.insert(global.end(), {"--socket", socket});

  // What settings.json would not give back: settings it lacks, and those of a config file
  // other than the one dagctld reads by default.
  std::ifstream in(common::DataDir(data_dir).settings_file());
  const auto file = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  const auto remembered = file.is_object() ? file.value("settings", nlohmann::json::object()) : nlohmann::json::object();
  const auto settings = d.value("settings", nlohmann::json::object());
  const auto from = d.value("settings_from", nlohmann::json::object());
  const bool same_config = d.value("config_file", nlohmann::json()) == nlohmann::json(common::config_file_path()) ||
                           d.value("config_file", nlohmann::json()).is_null();
  for (const auto& [name, source] : from.items()) {
    if (name == "data-dir" || name == "socket" || source == "default" || !settings.contains(name)) continue;
    if (source == "config" ? same_config : remembered.contains(name) && remembered[name] == settings[name]) continue;
    const auto more = setting_flags(name, settings[name]);
    flags.insert(flags.end(), more.begin(), more.end());
  }
  std::string out = "dagctl";
  if (!global.empty()) out += " " + shell_join(global);
  out += " daemon start";
  if (!flags.empty()) out += " " + shell_join(flags);
  return out;
}

}  // namespace

void add_daemon_commands(CLI::App& app, Context& ctx) {
  app.add_subcommand("status", "Is dagctld running? Version, pid, addresses, runs")->callback([&ctx] {
    const auto d = ctx.client().get("/api/v1/daemon");
    if (ctx.json()) return print_json(d);
    std::cout << fmt::format("dagctld {} running (pid {})\nsocket:   {}\nhttp:     {}\ndata dir: {}\nruns:     {} running, {} queued\n",
                             d["version"].get<std::string>(), d["pid"].dump(), d["socket"].get<std::string>(),
                             text_of(d["http"]), d["data_dir"].get<std::string>(),
                             d["runs"]["running"].is_number() ? d["runs"]["running"].dump() : "?",
                             d["runs"]["queued"].is_number() ? d["runs"]["queued"].dump() : "?");
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
    for (const auto& line : warm_status_lines(d, terminal_width())) std::cout << line << "\n";
    for (const auto& line : daemons_status_lines(d)) std::cout << line << "\n";
    if (const auto e = d.find("store_error"); e != d.end() && e->is_string()) {
      std::cout << fmt::format("store:    unreachable: {}\n", e->get<std::string>());
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
    auto* cmd = group->add_subcommand(
        "start", "Start dagctld in the background (it logs to DATA_DIR/dagctld.log); with no flags, with the settings it last ran with");
    struct Args {
      std::string data_dir;
      std::map<std::string, std::string> asked;  // flag name -> value, as dagctld takes it
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("--data-dir", a->data_dir, "Daemon state folder")->envname("DAGCTL_DATA_DIR");
    const auto setting = [&](const std::string& name, const std::string& help) {
      return cmd->add_option_function<std::string>("--" + name, [a, name](const std::string& v) { a->asked[name] = v; }, help);
    };
    setting("listen", "HOST:PORT or none");
    setting("dbt", "dbt executable");
    setting("sqlmesh", "sqlmesh executable for SQLMesh projects");
    setting("max-parallel", "Runs at once")->check(CLI::Range(1, 256));
    setting("sandbox", "auto, on or off")->check(CLI::IsMember({"auto", "on", "off"}));
    setting("keep-days", "Prune finished runs older than this many days; 0 keeps them")->check(CLI::Range(0, 36500));
    setting("keep-runs", "Keep this many runs per job; 0 for no limit")->check(CLI::Range(0, 100000000));
    setting("store", "sqlite:///PATH.db or postgresql://USER@HOST/DB (docs/scale-out.md)");
    cmd->callback([&ctx, a] {
      const std::string socket = start_socket(ctx, a->data_dir);
      const Client client(socket);
      if (client.reachable()) return already_running(ctx, client, socket, a->data_dir, a->asked);
      const auto where = common::resolve_locations(a->data_dir, socket);
      if (!where) throw CliError(where.error());
      const std::string data_dir = where->data_dir;
      if (const auto made = common::ensure_directory(data_dir, /*private_dir=*/true); !made) {
        throw std::runtime_error(made.error());
      }
      const common::DataDir layout(data_dir);
      const std::string log_path = layout.daemon_log();
      std::vector<std::string> args = {find_daemon_executable(), "--data-dir", data_dir, "--socket", socket};
      for (const auto& [name, value] : a->asked) args.insert(args.end(), {"--" + name, value});
      const auto reused = remembered_flags(layout.settings_file(), a->asked, where->config);
      args.insert(args.end(), reused.begin(), reused.end());

      std::error_code size_error;
      const auto log_start = fs::file_size(log_path, size_error);  // what this start writes comes after
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
        const std::string why = last_error_line(log_path, size_error ? 0 : log_start);
        throw CliError("dagctld did not start" + (why.empty() ? "" : ": " + why) + "; see " + log_path);
      }
      if (ctx.json()) {
        return print_json({{"already_running", false}, {"pid", pid}, {"socket", socket}, {"data_dir", data_dir},
                           {"log", log_path}, {"remembered_flags", reused}});
      }
      std::cout << fmt::format("dagctld started (pid {}), socket {}, log {}\n", pid, socket, log_path);
      if (!reused.empty()) {
        std::cout << fmt::format("with the settings it last ran with ({}): {}\n", layout.settings_file(), shell_join(reused));
      }
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
      if (!ctx.json()) std::cerr << fmt::format("stopping dagctld (pid {})...\n", pid) << std::flush;
      pollfd p{pidfd.get(), POLLIN, 0};
      const bool stopped = pidfd ? ::poll(&p, 1, 60000) == 1 : wait_until([&] { return ::kill(pid, 0) != 0; }, 60s);
      if (!stopped) {
        throw CliError(fmt::format("dagctld (pid {}) is still stopping after 60 s; see its log", pid));
      }
      const std::string again = start_command(d);
      if (ctx.json()) return print_json({{"stopped", pid}, {"start_command", again}});
      std::cout << fmt::format("dagctld (pid {}) stopped; start it again with the same settings: {}\n", pid, again);
    });
  }
}

}  // namespace dagctl::cli
