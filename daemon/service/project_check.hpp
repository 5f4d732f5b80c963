// Project checks (docs/api.md, Project checks): what a run of a project needs, looked at
// the way the daemon would run it, as the user it runs as: the dbt executable answers
// `dbt --version`, dbt_project.yml names a profile, and the profiles.yml dbt would read
// holds that profile and its target. Run before a project is registered or changed, and
// by `dagctl doctor`.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace dagctl::daemon::service {

struct CheckResult {
  std::string name;  // "dbt", "dbt_project.yml", "profiles.yml", "target"
  bool ok = false;
  std::string detail;  // what was found; on failure, what is wrong and how to fix it
};

struct CheckReport {
  std::vector<CheckResult> checks;
  bool ok() const;
  // The failed checks as "name: detail; name: detail".
  std::string failures() const;
};

// A project (stored or not yet) as a run would see it.
struct CheckSubject {
  std::string path;          // the project folder
  std::string profiles_dir;  // the project's --profiles-dir; empty: dbt's own search
  std::string target;        // the project's --target; empty: the profile's
  std::string dbt;           // the executable: the project's, else the daemon's --dbt (--sqlmesh)
  std::string type = "dbt";  // "sqlmesh": the SQLMesh checks (docs/sqlmesh.md)
  // The run's environment: what it inherits from the daemon, then the project's --env.
  std::map<std::string, std::string> env;
};

// Where dbt reads profiles.yml, as dbt searches: --profiles-dir, DBT_PROFILES_DIR, the
// project folder when it has a profiles.yml, else ~/.dbt. `because` names the rule.
struct ProfilesLocation {
  std::string dir;
  std::string because;
};
ProfilesLocation profiles_location(const CheckSubject& subject);

// `{{ env_var('NAME', 'default') }}` rendered from `env`; text without `{{` as it is;
// nullopt for any other Jinja (the check cannot tell what dbt would make of it).
std::optional<std::string> render_env_vars(const std::string& text, const std::map<std::string, std::string>& env);

// The profile dbt_project.yml in `project_dir` names (DBT_PROFILE in `env` wins, as in dbt).
common::Result<std::string> project_profile(const std::string& project_dir,
                                            const std::map<std::string, std::string>& env);

// The profiles.yml checks: the file holds `profile`, and the profile the target.
std::vector<CheckResult> check_profiles(const CheckSubject& subject, const std::string& profile);

// The executable check: found, and `dbt --version` (`sqlmesh --version`) exits 0 within
// `timeout` (spawned without a shell, in its own process group, killed at the deadline).
CheckResult check_dbt(const CheckSubject& subject, std::chrono::milliseconds timeout);

// All of them, in the order above. A SQLMesh project: the executable, then its config file.
CheckReport run_checks(const CheckSubject& subject, std::chrono::milliseconds dbt_timeout);

}  // namespace dagctl::daemon::service
