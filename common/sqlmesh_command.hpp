// SQLMesh command lines: validation against the grammar of docs/commands.md#sqlmesh.
//
// Like dbt's (common/dbt_command.hpp), no shell runs the command and the grammar is an
// allowlist; the refusals before parsing are the same code (common/command_text.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/command_text.hpp"
#include "common/result.hpp"

namespace dagctl::common {

// Validates a SQLMesh command and returns its argv words: "sqlmesh", then global options
// (--gateway, --config, --ignore-warnings, --log-to-stdout, --debug), then one subcommand of
// run, plan, audit, test, janitor and its flags. `plan` must have --auto-apply and
// --no-prompts (a run has no terminal to answer SQLMesh's prompts). On failure the error is
// one sentence that starts with `what`, names the offending part (at most ~80 bytes of the
// input) and says what to do, e.g. "command_override: 'sqlmesh ui' is not allowed: it ...".
Result<std::vector<std::string>> validate_sqlmesh_command(std::string_view command,
                                                          std::string_view what = "command_override",
                                                          Trust trust = Trust::token);

}  // namespace dagctl::common
