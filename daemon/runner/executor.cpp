#include "daemon/runner/executor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/command.hpp"
#include "common/dbt_command.hpp"
#include "common/defer.hpp"
#include "daemon/runner/git_checkout.hpp"
#include "daemon/runner/node_records.hpp"
#include "daemon/runner/process.hpp"
#include "daemon/runner/sandbox.hpp"
#include "daemon/runner/sqlmesh/launch.hpp"

extern char** environ;

namespace dagctl::daemon::runner {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

RunControl::RunControl() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!event_) throw std::runtime_error("eventfd failed");
}

void RunControl::request_stop(StopReason reason) {
  StopReason expected = StopReason::none;
  if (reason_.compare_exchange_strong(expected, reason)) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_.get(), &one, sizeof one);
  }
}

namespace {

constexpr const char* kPartialParseFile = "partial_parse.msgpack";

// Copies `from` to `to` if it exists; a missing source is not an error (nothing to reuse).
void copy_if_exists(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (fs::exists(from, ec)) fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
}

}  // namespace

std::vector<std::string> child_environment(std::map<std::string, std::string> env, const RunContext& c,
                                           const common::DataDir& layout) {
  return child_environment(std::move(env), c, layout.run_target(c.run.id), layout.run_dbt_logs(c.run.id));
}

std::vector<std::string> child_environment(std::map<std::string, std::string> env, const RunContext& c,
                                           const std::string& target_dir, const std::string& logs_dir) {
  for (const auto& [k, v] : c.project.env) env[k] = v;
  // dbt phones home unless told not to; respect a user who said otherwise.
  if (!env.count("DO_NOT_TRACK") && !env.count("DBT_SEND_ANONYMOUS_USAGE_STATS")) {
    env["DO_NOT_TRACK"] = "1";
  }
  // Logs are files read later and in other terminals: no colour escapes in them.
  if (!env.count("DBT_USE_COLORS")) env["DBT_USE_COLORS"] = "false";
  env["DBT_TARGET_PATH"] = target_dir;
  env["DBT_LOG_PATH"] = logs_dir;
  env["DBT_LOG_FORMAT_FILE"] = "json";
  if (!c.project.profiles_dir.empty()) env["DBT_PROFILES_DIR"] = c.project.profiles_dir;
  if (!c.project.target.empty()) env["DBT_TARGET"] = c.project.target;
  env["DAGCTL_RUN_ID"] = c.run.id;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

bool resolve_defer(std::vector<std::string>& argv, const std::optional<std::string>& state_dir) {
  bool defer = false;
  for (const auto& w : argv) {
    if (w == "--state" || w.rfind("--state=", 0) == 0 || w == "--defer-state" || w.rfind("--defer-state=", 0) == 0) {
      return false;  // the command says where its state is
    }
    defer = defer || w == "--defer";
  }
  if (!defer) return false;
  if (state_dir) {
    const auto at = std::find(argv.begin(), argv.end(), "--defer");
    argv.insert(at + 1, {"--state", *state_dir});
  } else {
    std::erase_if(argv, [](const std::string& w) { return w == "--defer" || w == "--favor-state" || w == "--no-favor-state"; });
  }
  return true;
}

namespace {

std::optional<nlohmann::json> read_run_results(const std::string& target_dir) {
  std::ifstream in(target_dir + "/run_results.json");
  if (!in) return std::nullopt;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

// An absolute path with the symlinks that exist resolved, without a trailing '/'.
std::string resolved(const std::string& path, const std::string& base = "/") {
  std::error_code ec;
  fs::path p = fs::path(base) / path;  // an absolute `path` replaces base
  const fs::path canonical = fs::weakly_canonical(p, ec);
  std::string out = (ec ? p.lexically_normal() : canonical).string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// The executable posix_spawnp would run for `exe` from the project folder.
std::optional<std::string> find_executable(const std::string& exe, const std::string& project_dir,
                                           const std::string& path_env) {
  std::string found;
  if (exe.find('/') != std::string::npos) {
    found = resolved(exe, project_dir);  // posix_spawnp runs it from the project folder
  } else {
    std::stringstream dirs(path_env);
    for (std::string d; std::getline(dirs, d, ':') && found.empty();) {
      std::error_code ec;
      if (!d.empty() && fs::exists(fs::path(d) / exe, ec)) found = resolved(d + "/" + exe, project_dir);
    }
  }
  if (found.empty()) return std::nullopt;
  return found;
}

// Where dbt is installed: a venv's (or prefix's) folder above bin/, else its own folder.
std::optional<std::string> installation_of(const std::string& exe, const std::string& project_dir,
                                           const std::string& path_env) {
  const auto found = find_executable(exe, project_dir, path_env);
  if (!found) return std::nullopt;
  fs::path dir = fs::path(*found).parent_path();
  if (dir.filename() == "bin") dir = dir.parent_path();
  return dir.string();
}

// The PATH a run gets: the project's --env PATH, else the daemon's allowlisted one.
std::string run_path(const std::map<std::string, std::string>& inherited, const RunContext& c) {
  if (const auto it = c.project.env.find("PATH"); it != c.project.env.end()) return it->second;
  const auto it = inherited.find("PATH");
  return it == inherited.end() ? std::string() : it->second;
}

// The project's executable, else the daemon's default for its type.
std::string executable_of(const DbtExecutorOptions& o, const RunContext& c) {
  if (!c.project.executable.empty()) return c.project.executable;
  return c.project.type == "sqlmesh" ? o.default_sqlmesh : o.default_dbt;
}

// One run's sandbox, and the --sandbox-writable paths left out because they do not exist.
std::pair<SandboxSpec, std::vector<std::string>> sandbox_spec(const DbtExecutorOptions& o, const RunContext& c,
                                                                const std::string& dir,
                                                                const std::map<std::string, std::string>& env,
                                                                const std::optional<std::string>& defer_state) {
  SandboxSpec s;
  s.bwrap = o.bwrap;
  s.data_dir = resolved(o.data_dir);
  s.socket_path = o.socket_path.empty() ? "" : resolved(o.socket_path);
  s.project_dir = resolved(c.project.path);
  s.run_dir = resolved(dir);
  if (defer_state) s.state_dir = resolved(*defer_state);
  std::vector<std::string> missing;
  for (const auto& w : o.sandbox_writable) {
    std::error_code ec;
    if (fs::exists(w, ec)) {
      s.writable.push_back(resolved(w));
    } else {
      missing.push_back(w);
    }
  }
  auto need = [&](const std::string& p) {
    if (p.empty()) return;
    std::error_code ec;
    if (const std::string r = resolved(p, s.project_dir); fs::exists(r, ec)) s.needed.push_back(r);
  };
  auto value = [&](const char* name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  const auto project_value = [&](const char* name) {
    const auto it = c.project.env.find(name);
    return it == c.project.env.end() ? value(name) : it->second;
  };
  const std::string exe = executable_of(o, c);
  if (const auto installed = installation_of(exe, s.project_dir, run_path(env, c))) need(*installed);
  need(c.project.profiles_dir);
  need(project_value("HOME"));
  return {s, missing};
}

// The first line of a run's log that is not ours, when it is bwrap's complaint.
std::optional<std::string> sandbox_failure(const std::string& log_path) {
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("dagctl: ", 0) == 0) continue;
    if (line.rfind("bwrap: ", 0) != 0) return std::nullopt;
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    return line;
  }
  return std::nullopt;
}

// dbt's stdout to a file is block-buffered, so the log can end mid-line: our line then
// starts on a line of its own, where readers (and grep '^dagctl:') look for it.
void append_to_log(const std::string& path, const std::string& line) {
  bool at_line_start = true;
  {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in && in.tellg() > 0) {
      in.seekg(-1, std::ios::end);
      at_line_start = in.get() == '\n';
    }
  }
  std::ofstream out(path, std::ios::app);
  out << (at_line_start ? "" : "\n") << "dagctl: " << line << "\n";
}

// run_results.json is authoritative where it has a value; only this invocation's counts
// (a retry starts from a copy of the failed run's).
void reconcile_nodes(NodeRecorder& recorder, const std::optional<nlohmann::json>& run_results,
                     const RunCallbacks& callbacks) {
  if (!callbacks.on_nodes) return;
  std::vector<store::NodeRecord> batch = recorder.pending();
  if (run_results && !recorder.invocation_id().empty()) {
    const auto metadata = run_results->find("metadata");
    if (metadata != run_results->end() && metadata->is_object() &&
        metadata->value("invocation_id", std::string()) == recorder.invocation_id()) {
      for (auto& r : node_records_from_run_results(*run_results)) {
        if (recorder.admit(r.unique_id)) batch.push_back(std::move(r));
      }
    }
  }
  // The run's end is recorded after this; a store that refuses now leaves the live records.
  if (!batch.empty() && callbacks.on_nodes(batch)) recorder.clear();
}

// Moves a warm run's folder (`from`) to where the run's folder keeps it (`to`, an empty
// folder the run started with).
void move_folder(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (!fs::exists(from, ec)) return;
  fs::rename(from, to, ec);
  if (ec) {  // `to` was not empty: keep what the run wrote
    fs::remove_all(to, ec);
    fs::rename(from, to, ec);
  }
}

// What the pool needs to start (or find) the project's warm worker; cold_reason set when
// dbt cannot run in one.
warm::WorkerRequest warm_request(const DbtExecutorOptions& o, const RunContext& c,
                                 const std::map<std::string, std::string>& inherited, bool sandboxed) {
  const common::DataDir layout(o.data_dir);
  warm::WorkerRequest request;
  request.project_id = c.project.id;
  request.project_name = c.project.name;
  request.project_warm = c.project.warm;
  if (!c.project.warm || !o.warm_pool->options().enabled) return request;  // the pool says why: nothing to prepare
  const std::string exe = !c.project.executable.empty() ? c.project.executable : o.default_dbt;
  const auto found = find_executable(exe, c.project.path, run_path(inherited, c));
  if (!found) {
    request.cold_reason = "'" + exe + "' was not found";
    return request;
  }
  auto python = python_of(*found);
  if (const auto* why = std::get_if<std::string>(&python)) {
    request.cold_reason = *why;
    return request;
  }
  const std::string dir = layout.warm_project(c.project.id);
  std::error_code ec;
  fs::create_directories(dir + "/parse/target", ec);
  fs::create_directories(dir + "/runs", ec);
  // The worker's first parse starts from the project's last parse state, as a cold run does.
  if (!fs::exists(dir + "/parse/target/" + kPartialParseFile, ec)) {
    copy_if_exists(fs::path(layout.project_state(c.project.id)) / kPartialParseFile,
                   fs::path(dir) / "parse/target" / kPartialParseFile);
  }
  auto env = child_environment(inherited, c, dir + "/parse/target", dir + "/parse/logs");
  // A placeholder as long as a run id: each forked run writes its own id over it, so the
  // run is found by DAGCTL_RUN_ID in /proc/PID/environ like a cold one (recovery does).
  for (auto& kv : env) {
    if (kv.rfind("DAGCTL_RUN_ID=", 0) == 0) kv = "DAGCTL_RUN_ID=00000000-0000-0000-0000-000000000000";
  }
  env.push_back("DAGCTL_WARM_DIR=" + dir);
  env.push_back(std::string(warm::kWorkerMarker) + "=" + resolved(o.data_dir));
  std::vector<std::string> argv = std::get<std::vector<std::string>>(std::move(python));
  argv.push_back("/proc/self/fd/4");
  if (sandboxed) {
    auto spec = sandbox_spec(o, c, dir, inherited, std::nullopt).first;
    argv = bwrap_argv(spec, argv);
    request.launch.supervisor_leader = true;
  }
  request.launch.argv = std::move(argv);
  request.launch.env = std::move(env);
  request.launch.cwd = c.project.path;
  request.launch.log_path = layout.warm_log(c.project.id);
  return request;
}

}  // namespace

std::variant<std::vector<std::string>, std::string> python_of(const std::string& dbt_path) {
  std::ifstream in(dbt_path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return "'" + dbt_path + "' cannot be read";
  if (line.rfind("\x7f" "ELF", 0) == 0) {
    return "'" + dbt_path + "' is a native executable (dbt Fusion?): warm workers run dbt-core";
  }
  if (line.rfind("#!", 0) != 0) return "'" + dbt_path + "' is not a Python script";
  line = line.substr(2);
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string::npos) return "'" + dbt_path + "' has an empty #! line";
  line = line.substr(first);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
  std::vector<std::string> argv;
  const auto space = line.find_first_of(" \t");
  argv.push_back(line.substr(0, space));
  if (space != std::string::npos) {
    const auto arg = line.find_first_not_of(" \t", space);
    if (arg != std::string::npos) argv.push_back(line.substr(arg));  // the kernel passes the rest as one word
  }
  const std::string interpreter = fs::path(argv.front()).filename() == "env" && argv.size() > 1 ? argv[1] : argv.front();
  if (fs::path(interpreter).filename().string().rfind("python", 0) != 0) {
    return "'" + dbt_path + "' is not run by Python (#!" + line + "): warm workers run dbt-core";
  }
  return argv;
}

void DbtExecutor::write_retry_results(const std::string& failed_run_id, const std::string& target,
                                      const std::string& log_path) const {
  if (!options_.stored_nodes || !options_.run_command) return;
  const auto nodes = options_.stored_nodes(failed_run_id);
  const auto command = options_.run_command(failed_run_id);
  if (nodes.empty() || !command) return;
  auto words = common::validate_dbt_command(*command, "command", common::Trust::owner);
  if (!words) return;
  std::optional<nlohmann::json> manifest;
  if (std::ifstream in(target + "/manifest.json"); in) {
    auto parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) manifest = std::move(parsed);
  }
  const auto results = synthesize_run_results(words.value(), nodes, manifest, common::now());
  const std::string tmp = target + "/run_results.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << results.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(tmp, target + "/run_results.json", ec);
  if (!ec) {
    append_to_log(log_path, fmt::format("run {} left no run_results.json: dbt retry resumes from its {} stored node "
                                        "records (docs/runs.md, Node records)",
                                        failed_run_id, nodes.size()));
  }
}

Outcome DbtExecutor::execute(const RunContext& given, RunControl& control,
                             const RunCallbacks& callbacks) {
  RunContext c = given;  // a project from git runs in its checkout: its path is set below
  const common::DataDir layout(options_.data_dir);
  const std::string dir = layout.run(c.run.id);
  const std::string target = layout.run_target(c.run.id);
  const std::string log_path = layout.run_log(c.run.id);
  const std::string state_dir = layout.project_state(c.project.id);
  fs::create_directories(target);
  fs::create_directories(layout.run_dbt_logs(c.run.id));
  fs::create_directories(state_dir);
  { std::ofstream touch(log_path, std::ios::app); }

  auto fail = [&](const std::string& message) {
    append_to_log(log_path, message);
    Outcome out;
    out.status = common::RunStatus::error;
    out.error_message = message;
    return out;
  };

  if (c.project.git_url) {
    // This daemon's own checkout, at the commit stored on the run before dbt starts
    // (a retry's is its source's): docs/api.md#projects-from-git.
    git::CheckoutOptions git_options;
    git_options.timeout = options_.git_timeout;
    for (char** e = environ; e && *e; ++e) git_options.daemon_env.emplace_back(*e);
    git_options.stop_fd = control.fd();
    const git::CheckoutSpec spec{layout.checkout(c.project.id), *c.project.git_url, c.project.git_ref.value_or(""),
                                 c.run.git_commit, c.project.git_subdir.value_or("")};
    append_to_log(log_path, "dagctl: fetching " + git::redact_url(spec.url) +
                                (c.run.git_commit ? " for commit " + *c.run.git_commit
                                                  : spec.ref.empty() ? std::string(" (its HEAD branch)") : " at " + spec.ref));
    auto checkout = git::sync(spec, git_options);
    if (!checkout && control.reason() != StopReason::none) {
      append_to_log(log_path, checkout.error());
      return classify(ExitStatus{std::nullopt, SIGKILL}, control.reason(), {}, c.job.timeout_seconds.value_or(0));
    }
    if (!checkout) return fail(checkout.error());
    if (options_.record_git_commit && c.run.git_commit != checkout->commit) {
      try {
        options_.record_git_commit(c.run.id, checkout->commit);
      } catch (const std::exception& e) {
        return fail("could not store the run's commit " + checkout->commit + ": " + e.what());
      }
    }
    c.run.git_commit = checkout->commit;
    c.project.path = checkout->project_dir;
    append_to_log(log_path, "dagctl: checked out commit " + checkout->commit);
  }

  // Validated again here: a command stored by an older version must not reach exec unchecked.
  // As the owner: the command was checked at the caller's trust level when it was stored.
  const bool sqlmesh = c.project.type == "sqlmesh";  // docs/sqlmesh.md
  const char* tool = sqlmesh ? "sqlmesh" : "dbt";
  auto words = common::validate_command(c.project.type, c.run.command, "command", common::Trust::owner);
  if (!words) return fail(words.error());
  std::vector<std::string> argv = std::move(words).value();
  argv[0] = executable_of(options_, c);

  std::vector<std::string> daemon_env;
  for (char** e = environ; e && *e; ++e) daemon_env.emplace_back(*e);
  const bool sandboxed = !options_.bwrap.empty();
  auto inherited = inherited_environment(daemon_env, options_.pass_env, sandboxed);

  // A warm worker forks this run when the project has one (docs/runs.md#warm-workers); its
  // dbt writes target/ and logs/ in the worker's folder, moved here when the run ends.
  std::shared_ptr<warm::Worker> worker;
  if (std::error_code ec; options_.warm_pool && !sqlmesh && fs::is_directory(c.project.path, ec)) {
    auto acquired = options_.warm_pool->acquire(warm_request(options_, c, inherited, sandboxed), control.fd());
    if (auto* w = std::get_if<std::shared_ptr<warm::Worker>>(&acquired)) worker = std::move(*w);
  }
  DEFER {
    if (worker) options_.warm_pool->release(c.project.id);
  };
  const std::string warm_dir = layout.warm_run(c.project.id, c.run.id);
  std::string dbt_target = target;
  std::string dbt_logs = layout.run_dbt_logs(c.run.id);
  if (worker) {
    dbt_target = warm_dir + "/target";
    dbt_logs = warm_dir + "/logs";
    fs::create_directories(dbt_target);
    fs::create_directories(dbt_logs);
  }

  // --defer compares with the job's newest successful run (docs/sandbox.md).
  std::optional<std::string> defer_state;
  if (std::find(argv.begin(), argv.end(), "--defer") != argv.end() && options_.newest_successful_run) {
    if (const auto id = options_.newest_successful_run(c.job.id)) {
      const std::string from = layout.run_target(*id);
      if (std::error_code ec; fs::exists(from + "/manifest.json", ec)) defer_state = from;
    }
  }
  if (worker && defer_state) {
    // A worker's sandbox sees only its own folder: the state goes there.
    const std::string state = warm_dir + "/state";
    fs::create_directories(state);
    for (const char* f : {"manifest.json", "run_results.json"}) copy_if_exists(fs::path(*defer_state) / f, fs::path(state) / f);
    defer_state = state;
  }
  if (resolve_defer(argv, defer_state) && !defer_state) {
    append_to_log(log_path, "this job has no successful run to defer to yet: running without --defer");
  }

  // Start from the previous run's parse state so dbt does not re-parse the whole project.
  if (!sqlmesh) copy_if_exists(fs::path(state_dir) / kPartialParseFile, fs::path(dbt_target) / kPartialParseFile);
  if (c.run.retry_of && !sqlmesh) {
    // dbt retry reads the failed run's results and manifest from its target path.
    const std::string from = layout.run_target(*c.run.retry_of);
    for (const char* f : {"run_results.json", "manifest.json"}) {
      copy_if_exists(fs::path(from) / f, fs::path(dbt_target) / f);
    }
    if (std::error_code ec; !fs::exists(fs::path(dbt_target) / "run_results.json", ec)) {
      write_retry_results(*c.run.retry_of, dbt_target, log_path);
    }
  }

  if (std::error_code ec; !fs::is_directory(c.project.path, ec)) {
    return fail("the project folder " + c.project.path +
                " does not exist any more; register it again (dagctl project add) or restore it");
  }

  std::unique_ptr<RunProcess> process;
  if (worker) {
    const common::Fd output(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    const std::vector<std::string> dbt_args(argv.begin() + 1, argv.end());
    // The worker's parse before the fork is part of the run: the job's timeout counts it,
    // and a stop ends the wait (docs/runs.md#warm-workers).
    auto limit = std::chrono::milliseconds(options_.warm_pool->options().ready_timeout);
    if (c.job.timeout_seconds && *c.job.timeout_seconds > 0) {
      limit = std::min<std::chrono::milliseconds>(limit, std::chrono::seconds(*c.job.timeout_seconds));
    }
    const auto asked = std::chrono::steady_clock::now();
    auto started = output ? worker->start_run(c.run.id, dbt_args, child_environment(inherited, c, dbt_target, dbt_logs),
                                              c.project.path, output.get(), control.fd(), limit)
                          : common::Result<std::unique_ptr<RunProcess>>(common::make_error(std::strerror(errno)));
    // The wait's own clock rounds to milliseconds: a wait that used up the job's timeout
    // may end a fraction of one before it.
    if (!started && control.reason() == StopReason::none && c.job.timeout_seconds && *c.job.timeout_seconds > 0 &&
        std::chrono::steady_clock::now() - asked + std::chrono::milliseconds(50) >= std::chrono::seconds(*c.job.timeout_seconds)) {
      control.request_stop(StopReason::timed_out);
    }
    if (!started && control.reason() != StopReason::none) {
      // Stopped (or timed out) while the worker had not forked it: no dbt to stop, none to start.
      append_to_log(log_path, "stopped before the warm worker started dbt: " + started.error());
      move_folder(dbt_target, target);
      move_folder(dbt_logs, layout.run_dbt_logs(c.run.id));
      std::error_code ec;
      fs::remove_all(warm_dir, ec);
      return classify(ExitStatus{std::nullopt, SIGKILL}, control.reason(), {}, c.job.timeout_seconds.value_or(0));
    }
    if (started) {
      process = std::move(started).value();
      spdlog::info("run {}: dbt forked by the project's warm worker (pid {})", c.run.id, process->pid());
    } else {
      // Cold after all, from the run's own folder, as if the worker had never been asked.
      spdlog::warn("run {}: the warm worker could not start it ({}): starting dbt cold", c.run.id, started.error());
      options_.warm_pool->release(c.project.id);
      worker.reset();
      move_folder(dbt_target, target);
      move_folder(dbt_logs, layout.run_dbt_logs(c.run.id));
      dbt_target = target;
      dbt_logs = layout.run_dbt_logs(c.run.id);
    }
  }
  // A SQLMesh run goes through dagctl's plugin (docs/sqlmesh.md), its sealed script as fd 3.
  std::optional<sqlmesh::Launch> sqlmesh_launch;
  if (sqlmesh) {
    const auto found = find_executable(argv[0], c.project.path, run_path(inherited, c));
    if (!found) {
      return fail("could not start '" + argv[0] + "': no such executable (give the project's with dagctl project "
                  "update P --sqlmesh PATH, or dagctld --sqlmesh)");
    }
    auto launched = sqlmesh::launch(*found, argv);
    if (!launched) return fail(launched.error());
    sqlmesh_launch = std::move(launched).value();
    if (sqlmesh_launch->without_plugin) {
      append_to_log(log_path, *sqlmesh_launch->without_plugin + ": it runs without dagctl's plugin, so the run has no "
                              "per-model records (docs/sqlmesh.md)");
    }
    argv = sqlmesh_launch->argv;
  }
  if (!process) {
    SpawnSpec spec{argv, {}, c.project.path, log_path, false, {}};
    if (sqlmesh_launch && sqlmesh_launch->plugin) spec.pass_fds = {sqlmesh_launch->plugin.get()};
    if (sandboxed) {
      // Inside bwrap a missing dbt would read as a sandbox failure: say what it is, as
      // posix_spawn does when nothing wraps it.
      if (argv[0].find('/') != std::string::npos &&
          ::access(resolved(argv[0], c.project.path).c_str(), X_OK) != 0) {
        return fail("could not start '" + argv[0] + "': " + std::strerror(errno));
      }
      auto sandbox = sandbox_spec(options_, c, dir, inherited, defer_state);
      for (const auto& missing : sandbox.second) {
        append_to_log(log_path, "--sandbox-writable " + missing + " does not exist: the run cannot write there");
      }
      spec.argv = bwrap_argv(sandbox.first, argv);
      spec.supervisor_leader = true;
    }
    if (sqlmesh) {
      for (const auto& [k, v] : c.project.env) inherited[k] = v;
      spec.env = sqlmesh::environment(std::move(inherited), c.run.id, target, layout.run_dbt_logs(c.run.id));
    } else {
      spec.env = child_environment(std::move(inherited), c, layout);
    }
    auto spawned = ChildProcess::spawn(spec);
    if (!spawned) return fail(spawned.error());
    process = std::make_unique<ChildProcess>(std::move(spawned).value());
  }
  RunProcess& child = *process;
  const bool cold_sandboxed = sandboxed && !worker;
  if (callbacks.on_started) callbacks.on_started(child.pid(), process_start_ticks(child.pid()));
  ProgressTracker tracker;  // phase `starting`: dbt is spawned and has logged nothing yet
  if (callbacks.on_progress) callbacks.on_progress(tracker.current());

  using SteadyClock = std::chrono::steady_clock;
  const auto started = SteadyClock::now();
  std::optional<SteadyClock::time_point> deadline;
  if (c.job.timeout_seconds && *c.job.timeout_seconds > 0) {
    deadline = started + std::chrono::seconds(*c.job.timeout_seconds);
  }
  // Escalation after a stop: SIGINT now, SIGTERM after the grace, SIGKILL after another.
  int stop_stage = 0;
  SteadyClock::time_point next_escalation{};

  // dbt's JSON log, or the SQLMesh plugin's events in the same shape (docs/sqlmesh.md).
  const std::string event_file = std::string("/") + (sqlmesh ? sqlmesh::kEventLog : "dbt.log");
  LogFollower follower(dbt_logs + event_file);
  Progress last_progress = tracker.current();
  std::optional<ExitStatus> exit;
  NodeRecorder recorder;
  const auto follow = [&] {
    follower.poll([&](std::string_view line) {
      tracker.feed_line(line);
      recorder.feed_line(line);
    });
    // Kept when the store refused them (a lock held elsewhere): they go with the next batch.
    if (!recorder.pending().empty() && callbacks.on_nodes && callbacks.on_nodes(recorder.pending())) {
      recorder.clear();
    }
  };

  while (!(exit = child.try_reap())) {
    const auto now_t = SteadyClock::now();
    if (deadline && now_t >= *deadline) control.request_stop(StopReason::timed_out);
    if (control.reason() != StopReason::none && now_t >= next_escalation && stop_stage < 3) {
      static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGKILL};
      child.signal_group(kSignals[stop_stage]);
      append_to_log(log_path, fmt::format("sent SIG{} to {}'s process group", sigabbrev_np(kSignals[stop_stage]), tool));
      ++stop_stage;
      next_escalation = now_t + options_.stop_grace;
    }

    // Wake for: dbt's exit, a stop request, the next escalation or deadline, and a
    // progress refresh (the log file has no change notification we could wait on cheaply).
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(250ms);
    if (stop_stage > 0 && stop_stage < 3) {
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(next_escalation - now_t));
    }
    if (deadline && control.reason() == StopReason::none) {
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now_t));
    }
    pollfd fds[2] = {{child.pidfd(), POLLIN, 0}, {control.fd(), POLLIN, 0}};
    // The eventfd stays readable after a stop; only wait on it until the stop is handled.
    const nfds_t count = stop_stage == 0 ? 2 : 1;
    ::poll(fds, count, static_cast<int>(std::max<std::int64_t>(wait.count(), 0)));

    follow();
    if (const Progress& p = tracker.current(); p != last_progress && callbacks.on_progress) {
      callbacks.on_progress(p);
      last_progress = p;
    }
  }

  follow();
  // The group is gone with its leader; a process that left it (setsid, a daemonising model)
  // still carries the run's DAGCTL_RUN_ID: no process of a run outlives it (docs/runs.md).
  if (const auto left = processes_with_env("DAGCTL_RUN_ID=" + c.run.id); !left.empty()) {
    for (const pid_t pid : left) ::kill(pid, SIGKILL);
    append_to_log(log_path, fmt::format("stopped {} process(es) the run left running outside its process group",
                                        left.size()));
  }
  if (worker) {
    if (!worker->alive() && exit->signal) {
      append_to_log(log_path, "the project's warm dbt worker ended during the run, and its dbt with it "
                              "(docs/runs.md#warm-workers)");
    }
    move_folder(dbt_target, target);
    move_folder(dbt_logs, layout.run_dbt_logs(c.run.id));
    std::error_code ec;
    fs::remove_all(warm_dir, ec);
  }
  if (cold_sandboxed) {
    // bwrap exits 128+N when dbt died of signal N; the sandbox failing to start exits 1.
    if (exit->exit_code && *exit->exit_code > 128 && *exit->exit_code <= 128 + 64) {
      exit = ExitStatus{std::nullopt, *exit->exit_code - 128};
    } else if (const auto why = sandbox_failure(log_path); why && exit->exit_code == 1) {
      return fail("the run's sandbox could not be set up: " + *why + " (docs/sandbox.md)");
    }
  }
  const DbtLogFacts log_facts =
      read_dbt_log_facts(layout.run_dbt_logs(c.run.id) + event_file);
  const auto run_results = read_run_results(target);
  Outcome outcome = classify(*exit, control.reason(), {run_results, log_facts.fatal_error, log_facts.nothing_to_do},
                             c.job.timeout_seconds.value_or(0), tool);
  if (sqlmesh) {
    outcome.plan = sqlmesh::read_plan(target);
    // No interval due is a `sqlmesh run`'s usual answer, not a selection gone wrong.
    outcome.nothing_selected = false;
  }
  reconcile_nodes(recorder, run_results, callbacks);
  if (recorder.dropped() > 0) {
    append_to_log(log_path, fmt::format("the run named more than {} nodes: {} record(s) beyond were not kept "
                                        "(docs/limits.md)", kMaxNodesPerRun, recorder.dropped()));
  }
  // Keep the newest parse state for the project's next run (rename: never a torn file).
  const fs::path fresh = fs::path(target) / kPartialParseFile;
  std::error_code ec;
  if (fs::exists(fresh, ec)) {
    const fs::path tmp = fs::path(state_dir) / (std::string(kPartialParseFile) + ".tmp");
    fs::copy_file(fresh, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(tmp, fs::path(state_dir) / kPartialParseFile, ec);
  }
  if (outcome.error_message && outcome.status == common::RunStatus::error) {
    append_to_log(log_path, *outcome.error_message);
  }
  return outcome;
}

}  // namespace dagctl::daemon::runner
