#include "daemon/service/project_check.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/fd.hpp"
#include "daemon/runner/process.hpp"

namespace dagctl::daemon::service {

namespace fs = std::filesystem;

namespace {

std::string value_of(const std::map<std::string, std::string>& env, const std::string& name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

std::string home_of(const std::map<std::string, std::string>& env) {
  if (auto home = value_of(env, "HOME"); !home.empty()) return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

// A path as dbt, running in the project folder, reads it.
std::string in_project(const std::string& path, const std::string& project_dir) {
  return (fs::path(project_dir) / path).lexically_normal().string();
}

std::string joined_keys(const YAML::Node& map) {
  std::string out;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) continue;
    out += (out.empty() ? "" : ", ") + entry.first.Scalar();
  }
  return out.empty() ? "none" : out;
}

// dbt's YAML files are read only when they are regular files of a sane size: a FIFO or a
// device in their place would block the request's thread (and with enough of them every
// listener) until someone writes into it.
std::optional<std::string> read_regular_file(const std::string& path, std::string& error) {
  constexpr off_t kMaxYamlBytes = 4 * 1024 * 1024;
  common::Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    error = std::string("cannot open it: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "it is not a regular file";
    return std::nullopt;
  }
  if (st.st_size > kMaxYamlBytes) {
    error = "it is larger than 4 MiB";
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

std::optional<YAML::Node> load_yaml(const std::string& file, std::string& error) {
  const auto text = read_regular_file(file, error);
  if (!text) return std::nullopt;
  try {
    return YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

std::string read_capped(const std::string& path, std::size_t cap) {
  std::ifstream in(path, std::ios::binary);
  std::string out(cap, '\0');
  in.read(out.data(), static_cast<std::streamsize>(cap));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// "dbt-core 1.11.16 (duckdb 1.11.1)" from `dbt --version`; else its first line.
std::string version_summary(const std::string& output) {
  std::istringstream in(output);
  std::string core, plugins, first;
  bool in_plugins = false;
  for (std::string line; std::getline(in, line);) {
    const std::string t = trimmed(line);
    if (t.empty()) continue;
    if (first.empty()) first = t;
    if (t == "Plugins:") {
      in_plugins = true;
    } else if (const auto at = t.find("installed:"); at != std::string::npos && core.empty()) {
      core = "dbt-core " + trimmed(t.substr(at + 10));
    } else if (in_plugins && t.rfind("- ", 0) == 0) {
      std::string plugin = t.substr(2);  // "duckdb: 1.11.1 - Up to date!"
      if (const auto dash = plugin.find(" - "); dash != std::string::npos) plugin.resize(dash);
      if (const auto colon = plugin.find(':'); colon != std::string::npos) plugin.replace(colon, 1, "");
      plugins += (plugins.empty() ? "" : ", ") + trimmed(plugin);
    }
  }
  if (core.empty()) return first.substr(0, 200);
  return plugins.empty() ? core : core + " (" + plugins + ")";
}

std::string first_lines(const std::string& output, int count) {
  std::istringstream in(output);
  std::string out;
  for (std::string line; count > 0 && std::getline(in, line);) {
    line = trimmed(line);
    if (line.empty()) continue;
    out += (out.empty() ? "" : " | ") + line.substr(0, 200);
    --count;
  }
  return out.empty() ? "no output" : out;
}

// Where posix_spawnp would find `exe`, as the executor runs it: a path relative to the
// project folder, or a name looked up in the daemon's own PATH.
std::optional<std::string> find_executable(const std::string& exe, const std::string& project_dir) {
  if (exe.find('/') != std::string::npos) {
    const std::string path = in_project(exe, project_dir);
    return ::access(path.c_str(), X_OK) == 0 ? std::optional(path) : std::nullopt;
  }
  const char* env_path = ::getenv("PATH");
  std::istringstream dirs(env_path ? env_path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    if (d.empty()) continue;
    const std::string path = d + "/" + exe;
    std::error_code ec;
    if (fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

}  // namespace

bool CheckReport::ok() const {
  for (const auto& c : checks) {
    if (!c.ok) return false;
  }
  return true;
}

std::string CheckReport::failures() const {
  std::string out;
  for (const auto& c : checks) {
    if (!c.ok) out += (out.empty() ? "" : "; ") + c.name + ": " + c.detail;
  }
  return out;
}

ProfilesLocation profiles_location(const CheckSubject& s) {
  if (!s.profiles_dir.empty()) return {in_project(s.profiles_dir, s.path), "the project's --profiles-dir"};
  if (auto dir = value_of(s.env, "DBT_PROFILES_DIR"); !dir.empty()) return {in_project(dir, s.path), "DBT_PROFILES_DIR"};
  std::error_code ec;
  if (fs::exists(fs::path(s.path) / "profiles.yml", ec)) return {s.path, "the project folder"};
  return {(fs::path(home_of(s.env)) / ".dbt").string(), "~/.dbt, dbt's default"};
}

std::optional<std::string> render_env_vars(const std::string& text, const std::map<std::string, std::string>& env) {
  static const std::regex kEnvVar(
      R"re(\{\{\s*env_var\(\s*(['"])([^'"]*)\1\s*(?:,\s*(['"])([^'"]*)\3\s*)?\)\s*\}\})re");
  std::string out;
  auto from = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), kEnvVar), end; it != end; ++it) {
    const auto& m = *it;
    out.append(from, m[0].first);
    const auto found = env.find(m[2].str());
    if (found != env.end()) {
      out += found->second;
    } else if (m[4].matched) {
      out += m[4].str();
    } else {
      return std::nullopt;  // dbt refuses: "Env var required but not provided"
    }
    from = m[0].second;
  }
  out.append(from, text.cend());
  if (out.find("{{") != std::string::npos || out.find("{%") != std::string::npos) return std::nullopt;
  return out;
}

common::Result<std::string> project_profile(const std::string& project_dir,
                                            const std::map<std::string, std::string>& env) {
  const std::string file = (fs::path(project_dir) / "dbt_project.yml").string();
  std::error_code ec;
  if (!fs::exists(file, ec)) return common::make_error("no dbt_project.yml in " + project_dir + "; pass the folder of a dbt project");
  std::string error;
  const auto doc = load_yaml(file, error);
  if (!doc) return common::make_error(file + " cannot be read as YAML: " + error);
  if (auto forced = value_of(env, "DBT_PROFILE"); !forced.empty()) return forced;
  const YAML::Node profile = doc->IsMap() ? (*doc)["profile"] : YAML::Node();
  if (!profile || !profile.IsScalar() || profile.Scalar().empty()) {
    return common::make_error(file + " names no profile; add a line 'profile: NAME' naming a profile of profiles.yml");
  }
  const auto rendered = render_env_vars(profile.Scalar(), env);
  if (!rendered) return common::make_error("the profile in " + file + " is a Jinja expression the check cannot evaluate: " + profile.Scalar());
  return *rendered;
}

std::vector<CheckResult> check_profiles(const CheckSubject& s, const std::string& profile) {
  const ProfilesLocation where = profiles_location(s);
  const std::string file = (fs::path(where.dir) / "profiles.yml").string();
  const std::string source = file + " (" + where.because + ")";
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return {{"profiles.yml", false,
             fmt::format("no profiles.yml in {} ({}); create one with the profile '{}', or point the project at the "
                         "folder that has it (--profiles-dir DIR)", where.dir, where.because, profile)}};
  }
  std::string error;
  const auto doc = load_yaml(file, error);
  if (!doc) return {{"profiles.yml", false, source + " cannot be read as YAML: " + error}};
  const YAML::Node entry = doc->IsMap() ? (*doc)[profile] : YAML::Node();
  if (!entry || !entry.IsMap()) {
    return {{"profiles.yml", false,
             fmt::format("{} has no profile '{}' (it has: {}); add it there, or use another profiles.yml "
                         "(--profiles-dir DIR)", source, profile, doc->IsMap() ? joined_keys(*doc) : "none")}};
  }
  std::vector<CheckResult> out{{"profiles.yml", true, fmt::format("{} has the profile '{}'", source, profile)}};

  std::string target = s.target;
  std::string chosen_by = "the project's --target";
  if (target.empty()) {
    target = value_of(s.env, "DBT_TARGET");
    chosen_by = "DBT_TARGET";
  }
  if (target.empty()) {
    const YAML::Node named = entry["target"];
    if (named && named.IsScalar()) {
      const auto rendered = render_env_vars(named.Scalar(), s.env);
      if (!rendered) {
        out.push_back({"target", true, "the profile's target is a Jinja expression (" + named.Scalar() + "); not checked"});
        return out;
      }
      target = *rendered;
      chosen_by = "the profile's target";
    } else {
      target = "default";
      chosen_by = "dbt's default, as the profile names no target";
    }
  }
  const YAML::Node outputs = entry["outputs"];
  if (!outputs || !outputs.IsMap()) {
    out.push_back({"target", false, fmt::format("the profile '{}' in {} has no outputs; add the target '{}' under "
                                                "'outputs:'", profile, file, target)});
  } else if (!outputs[target]) {
    out.push_back({"target", false,
                   fmt::format("the profile '{}' in {} has no target '{}' ({}; it has: {}); pick one of those "
                               "(--target NAME) or add it", profile, file, target, chosen_by, joined_keys(outputs))});
  } else {
    const YAML::Node type = outputs[target]["type"];
    out.push_back({"target", true,
                   fmt::format("'{}' ({}){}", target, chosen_by,
                               type && type.IsScalar() ? ", type " + type.Scalar() : std::string())});
  }
  return out;
}

CheckResult check_dbt(const CheckSubject& s, std::chrono::milliseconds timeout) {
  const bool sqlmesh = s.type == "sqlmesh";
  CheckResult result{sqlmesh ? "sqlmesh" : "dbt", false, ""};
  const auto exe = find_executable(s.dbt, s.path);
  if (!exe) {
    const std::string& tool = result.name;  // the executable's name and its flag's
    result.detail = s.dbt.find('/') != std::string::npos
                        ? fmt::format("no executable at {}; give the path of {} in its virtualenv (--{} PATH)",
                                      in_project(s.dbt, s.path), tool, tool)
                        : fmt::format("no '{}' in the daemon's PATH; install {} there, or give its path "
                                      "(--{} /path/to/venv/bin/{}, or dagctld --{})",
                                      s.dbt, sqlmesh ? "SQLMesh" : "dbt", tool, tool, tool);
    return result;
  }
  std::error_code ec;
  if (fs::is_directory(*exe, ec)) {
    result.detail = fmt::format("{} is a folder; give the path of {} itself (--{} /path/to/venv/bin/{})", *exe,
                                result.name, result.name, result.name);
    return result;
  }
  std::string name = (fs::temp_directory_path(ec) / "dagctl-check-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (ec || fd < 0) {
    result.detail = "could not create a scratch file for dbt's output in " + fs::temp_directory_path(ec).string();
    return result;
  }
  ::close(fd);
  const std::string output_path = name;
  struct Unlink {
    std::string path;
    ~Unlink() { ::unlink(path.c_str()); }
  } scratch{output_path};

  std::map<std::string, std::string> env = s.env;
  if (!env.count("DO_NOT_TRACK") && !env.count("DBT_SEND_ANONYMOUS_USAGE_STATS")) env["DO_NOT_TRACK"] = "1";
  env["DBT_USE_COLORS"] = "false";
  runner::SpawnSpec spec;
  spec.argv = {*exe, "--version"};
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  spec.cwd = fs::is_directory(s.path, ec) ? s.path : "/";
  spec.output_path = output_path;
  auto spawned = runner::ChildProcess::spawn(spec);
  if (!spawned) {
    result.detail = spawned.error();
    return result;
  }
  runner::ChildProcess child = std::move(spawned).value();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  std::optional<runner::ExitStatus> exit;
  while (!(exit = child.try_reap())) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !timed_out) {
      timed_out = true;
      child.signal_group(SIGKILL);
    }
    pollfd p{child.pidfd(), POLLIN, 0};
    ::poll(&p, 1, timed_out ? 100 : static_cast<int>(std::min<std::int64_t>(left.count(), 1000)) + 1);
  }
  const std::string output = read_capped(output_path, 64 * 1024);
  if (timed_out) {
    result.detail = fmt::format("'{} --version' did not answer within {} s; is it a working {}?", *exe,
                                timeout.count() / 1000, result.name);
  } else if (exit->exit_code && *exit->exit_code == 0) {
    result.ok = true;
    result.detail = (sqlmesh ? "sqlmesh " + first_lines(output, 1) : version_summary(output)) + " at " + *exe;
  } else if (exit->exit_code) {
    result.detail = fmt::format("'{} --version' exited {}: {}", *exe, *exit->exit_code, first_lines(output, 3));
  } else {
    result.detail = fmt::format("'{} --version' died of signal {}: {}", *exe, exit->signal.value_or(0),
                                first_lines(output, 3));
  }
  return result;
}

CheckReport run_checks(const CheckSubject& s, std::chrono::milliseconds dbt_timeout) {
  CheckReport report;
  report.checks.push_back(check_dbt(s, dbt_timeout));
  if (s.type == "sqlmesh") {
    std::error_code ec;
    for (const char* name : {"config.yaml", "config.yml", "config.py"}) {
      if (fs::exists(fs::path(s.path) / name, ec)) {
        report.checks.push_back({"config", true, std::string("SQLMesh's ") + name});
        return report;
      }
    }
    report.checks.push_back({"config", false, fmt::format("{} has no config.yaml, config.yml or config.py; pass the "
                                                          "folder of a SQLMesh project", s.path)});
    return report;
  }
  const auto profile = project_profile(s.path, s.env);
  if (!profile) {
    report.checks.push_back({"dbt_project.yml", false, profile.error()});
    return report;
  }
  report.checks.push_back({"dbt_project.yml", true, "names the profile '" + *profile + "'"});
  for (auto& c : check_profiles(s, *profile)) report.checks.push_back(std::move(c));
  return report;
}

}  // namespace dagctl::daemon::service
