// dbt command lines: validation against the grammar of docs/commands.md (splitting and display
// are in common/command_text.hpp, included here).
//
// No shell ever runs a dbt command: the validated words are passed as argv to execve.
// Validation is still strict so that a command stored or sent over HTTP cannot smuggle
// shell syntax, invisible characters, code (--inline, run-operation), or flags that point
// dbt at paths outside the run's folders.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/command_text.hpp"
#include "common/result.hpp"

namespace dagctl::common {

// Largest accepted command, in bytes (docs/commands.md: "more than 4 KiB" is refused).
inline constexpr std::size_t kMaxDbtCommandBytes = kMaxCommandBytes;

// Validates a dbt command against the grammar of docs/commands.md and returns its argv words,
// the first being "dbt" and the second an allowed subcommand. On failure the error is one
// sentence that starts with `what` ("command_override" or "command"), names the offending part
// (never more than ~80 bytes of the input) and says what to do, e.g.
// "command_override: must start with 'dbt'; got 'python'".
// The grammar is an allowlist: per subcommand, the flags it may take, which of them take a
// value (as the next word or as --flag=value) and which are for the socket owner only.
// Refused before any parsing, by split_checked_command (common/command_text.hpp): empty,
// too long, shell characters, control and invisible characters, invalid UTF-8, unterminated
// quotes.
Result<std::vector<std::string>> validate_dbt_command(std::string_view command,
                                                      std::string_view what = "command_override",
                                                      Trust trust = Trust::token);

}  // namespace dagctl::common
