#include "cli/resolve.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <vector>

#include "cli/context.hpp"
#include "common/since.hpp"

namespace dagctl::cli {

namespace {

std::vector<JobRef> all_jobs(const nlohmann::json& projects) {
  std::vector<JobRef> out;
  for (const auto& p : field(projects, "projects")) {
    for (const auto& j : field(p, "jobs")) {
      out.push_back({text_field(p, "id"), text_field(p, "name"), text_field(j, "id"), text_field(j, "name")});
    }
  }
  return out;
}

std::string choices(const std::vector<JobRef>& jobs) {
  std::string out;
  for (const auto& j : jobs) out += (out.empty() ? "" : ", ") + j.project_name + "/" + j.job_name;
  return out.empty() ? "none: register a project with dagctl project add PATH" : out;
}

bool path_within(const std::filesystem::path& dir, const std::filesystem::path& root) {
  auto d = dir.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++d) {
    if (r->empty()) continue;  // a trailing separator
    if (d == dir.end() || *d != *r) return false;
  }
  return true;
}

}  // namespace

std::string resolve_project_id(const Client& client, const std::string& arg) {
  return text_field(client.get("/api/v1/projects/" + url_encode(arg)), "id");
}

namespace {

// "2026-12-01", "2026-12-01 14:00", "2026-12-01T14:00:30" in this machine's zone.
std::optional<common::TimePoint> parse_local_time(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) != 3 ||
      consumed != 10) {
    return std::nullopt;
  }
  std::string rest = text.substr(10);
  if (!rest.empty()) {
    if (rest[0] != ' ' && rest[0] != 'T') return std::nullopt;
    int time_consumed = 0;
    if (std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &time_consumed) != 2 ||
        time_consumed != 5) {
      return std::nullopt;
    }
    rest = rest.substr(6);
    if (!rest.empty() && (std::sscanf(rest.c_str(), ":%2d%n", &tm.tm_sec, &time_consumed) != 1 ||
                          time_consumed != 3 || rest.size() != 3)) {
      return std::nullopt;
    }
  }
  const std::tm asked = tm;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  const std::time_t secs = std::mktime(&tm);
  // mktime moves a 31 November on to December: such a date was not a date.
  if (secs == -1 || tm.tm_mday != asked.tm_mday || tm.tm_mon != asked.tm_mon - 1 || tm.tm_hour != asked.tm_hour ||
      tm.tm_min != asked.tm_min || tm.tm_sec != asked.tm_sec) {
    return std::nullopt;
  }
  return common::from_millis(static_cast<std::int64_t>(secs) * 1000);
}

}  // namespace

std::string resolve_since(const std::string& arg, common::TimePoint now, const std::string& flag) {
  if (common::parse_since(arg, now)) return arg;  // the daemon reads these itself
  if (auto local = parse_local_time(arg)) return common::to_rfc3339(*local);
  throw CliError(flag + " takes an age (90m, 24h, 7d, 2w), a local date or time (2026-12-01, '2026-12-01 14:00') "
                 "or an RFC 3339 time (2026-12-01T14:00:00Z); got '" + arg + "'");
}

nlohmann::json resolve_run(const Client& client, const std::string& arg) {
  if (arg.size() < kMinRunPrefix) {
    throw CliError("run id '" + arg + "' is too short: give at least " + std::to_string(kMinRunPrefix) +
                   " characters of it (dagctl runs lists them)");
  }
  // One list call covers both: a whole id is its own prefix. The daemon filters; the check
  // here keeps a daemon that ignored id_prefix from naming the wrong run.
  const nlohmann::json answer = client.get("/api/v1/runs?limit=10&id_prefix=" + url_encode(arg));
  std::vector<nlohmann::json> matches;
  for (const auto& run : field(answer, "runs")) {
    const std::string id = text_field(run, "id");
    if (id == arg) return run;  // a whole id wins over the runs it is a prefix of
    if (id.compare(0, arg.size(), arg) == 0) matches.push_back(run);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) throw CliError("no run '" + arg + "'; list runs with dagctl runs");
  std::string candidates;
  for (const auto& run : matches) {
    candidates += fmt::format("{}{} ({}/{}, {}, {})", candidates.empty() ? "" : "; ", text_field(run, "id"),
                              text_field(run, "project_name"), run_job_label(run), text_field(run, "status"),
                              text_field(run, "created_at"));
  }
  const bool more = !field(answer, "next").is_null();
  throw CliError("run id '" + arg + "' is ambiguous; runs whose id starts with it: " + candidates +
                 (more ? "; and more" : "") + "; give more characters");
}

JobRef resolve_job(const Client& client, const std::optional<std::string>& arg) {
  const auto jobs = all_jobs(client.get("/api/v1/projects"));
  if (!arg) {
    std::error_code ec;
    const auto cwd = std::filesystem::canonical(std::filesystem::current_path(), ec);
    const nlohmann::json answer = client.get("/api/v1/projects");
    const nlohmann::json* here = nullptr;
    for (const auto& p : field(answer, "projects")) {
      const std::string path = text_field(p, "path");
      if (!ec && path_within(cwd, path) && (!here || path.size() > text_field(*here, "path").size())) {
        here = &p;  // the innermost project wins
      }
    }
    if (here) {
      for (const auto& j : jobs) {
        if (j.project_id == text_field(*here, "id") && j.job_name == "default") return j;
      }
    }
    if (jobs.size() == 1) return jobs.front();
    throw CliError("which job? name one (PROJECT/JOB or a job id): " + choices(jobs));
  }
  const auto slash = arg->find('/');
  std::vector<JobRef> matches;
  for (const auto& j : jobs) {
    if (slash != std::string::npos) {
      const auto project = arg->substr(0, slash);
      const auto job = arg->substr(slash + 1);
      if ((j.project_name == project || j.project_id == project) && (j.job_name == job || j.job_id == job)) {
        matches.push_back(j);
      }
    } else if (j.job_id == *arg) {
      return j;
    } else if (j.job_name == *arg) {
      matches.push_back(j);
    }
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) throw CliError("no job '" + *arg + "'; jobs: " + choices(jobs));
  throw CliError("'" + *arg + "' names a job in several projects; say which: " + choices(matches));
}

std::string resolve_run_id(const Client& client, const std::string& arg) {
  return text_field(resolve_run(client, arg), "id");
}

}  // namespace dagctl::cli
