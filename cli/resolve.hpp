// Turns what the user typed (a JOB, a PROJECT, a RUN) into the daemon's ids (docs/cli.md:
// a JOB is a job id or PROJECT/JOB by names; a PROJECT is an id or a name; a RUN is a run
// id or a unique prefix of one). A bare job name is accepted too when only one project has
// a job by that name, so a crontab line can say `dagctl trigger nightly`.
#pragma once

#include <optional>
#include <string>

#include "cli/client.hpp"
#include "common/time.hpp"

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

// --since as typed -> the daemon's since= (docs/api.md): an age (90m, 24h, 7d, 2w) or an
// RFC 3339 time as given; a local date ("2026-12-01", its midnight here) or local time
// ("2026-12-01 14:00", "2026-12-01T14:00:30") -> RFC 3339 UTC. Anything else is an error
// that says what `flag` takes.
std::string resolve_since(const std::string& arg, common::TimePoint now, const std::string& flag = "--since");

// The shortest prefix that names a run.
constexpr size_t kMinRunPrefix = 6;
// The run `arg` names, as the daemon shows it: the run whose id it is, else the one run
// whose id starts with it (at least kMinRunPrefix characters). An ambiguous prefix is an
// error that lists the candidates.
nlohmann::json resolve_run(const Client& client, const std::string& arg);
// resolve_run's id: what commands that act on a run send to the API.
std::string resolve_run_id(const Client& client, const std::string& arg);

}  // namespace dagctl::cli
