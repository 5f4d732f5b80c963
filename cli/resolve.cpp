#include "cli/resolve.hpp"

#include <filesystem>
#include <vector>

namespace dagctl::cli {

namespace {

std::vector<JobRef> all_jobs(const nlohmann::json& projects) {
  std::vector<JobRef> out;
  for (const auto& p : projects["projects"]) {
    for (const auto& j : p["jobs"]) {
      out.push_back({p["id"], p["name"], j["id"], j["name"]});
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
  return client.get("/api/v1/projects/" + url_encode(arg))["id"].get<std::string>();
}

JobRef resolve_job(const Client& client, const std::optional<std::string>& arg) {
  const auto jobs = all_jobs(client.get("/api/v1/projects"));
  if (!arg) {
    std::error_code ec;
    const auto cwd = std::filesystem::canonical(std::filesystem::current_path(), ec);
    const auto projects = client.get("/api/v1/projects")["projects"];
    const nlohmann::json* here = nullptr;
    for (const auto& p : projects) {
      if (!ec && path_within(cwd, p["path"].get<std::string>()) &&
          (!here || p["path"].get<std::string>().size() > (*here)["path"].get<std::string>().size())) {
        here = &p;  // the innermost project wins
      }
    }
    if (here) {
      for (const auto& j : jobs) {
        if (j.project_id == (*here)["id"] && j.job_name == "default") return j;
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

}  // namespace dagctl::cli
