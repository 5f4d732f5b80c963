// A project's command, by project type: which grammar checks it (docs/commands.md) and what a
// job runs when it names no command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/command_text.hpp"
#include "common/result.hpp"

namespace dagctl::common {

// validate_dbt_command for "dbt", validate_sqlmesh_command for "sqlmesh"; any other type is
// an error starting with "<what>: ".
Result<std::vector<std::string>> validate_command(std::string_view project_type, std::string_view command,
                                                  std::string_view what = "command_override",
                                                  Trust trust = Trust::token);

// The command of a job created without one: "dbt build" or "sqlmesh run" ("" for an unknown
// type).
std::string default_command(std::string_view project_type);

}  // namespace dagctl::common
