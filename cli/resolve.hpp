// Turns what the user typed (a JOB, a PROJECT) into the daemon's ids (docs/cli.md:
// a JOB is a job id or PROJECT/JOB by names; a PROJECT is an id or a name). A bare job
// name is accepted too when only one project has a job by that name, so a crontab line
// can say `dagctl trigger nightly`.
#pragma once

#include <optional>
#include <string>

#include "cli/client.hpp"

namespace dagctl::cli {

struct JobRef {
  std::string project_id;
  std::string project_name;
  std::string job_id;
  std::string job_name;
};

// Without `arg`: the default job of the registered project that holds the current
// directory, else the only job there is, else an error listing the choices.
JobRef resolve_job(const Client& client, const std::optional<std::string>& arg);
std::string resolve_project_id(const Client& client, const std::string& arg);

}  // namespace dagctl::cli
