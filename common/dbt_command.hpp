// dbt command lines: splitting, validation (the grammar of docs/commands.md) and display.
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

#include "common/result.hpp"

namespace dagctl::common {

// Largest accepted command, in bytes (docs/commands.md: "more than 4 KiB" is refused).
inline constexpr std::size_t kMaxDbtCommandBytes = 4096;

// Splits a command line into words like a POSIX shell does for plain words, '...' and "...",
// with no expansion of any kind. Adjacent quoted/unquoted parts join into one word
// (a'b'c -> abc); an empty quoted part yields a word ('' -> ""). Space, tab and newline
// separate words. Backslash is an ordinary character everywhere (no escapes): callers that
// accept user input must reject backslashes first, as validate_dbt_command does.
// Error (message without a prefix) on an unterminated quote.
Result<std::vector<std::string>> split_command_words(std::string_view line);

// Who is asking (docs/commands.md, "Who may run what"). `token` is a bearer-token holder over
// TCP: command_override in a trigger, or a job's command set over TCP. `owner` is the user of
// the Unix socket (the CLI), and commands already stored (they were checked when set).
enum class Trust { token, owner };

// Validates a dbt command against the grammar of docs/commands.md and returns its argv words,
// the first being "dbt" and the second an allowed subcommand. On failure the error is one
// sentence that starts with `what` ("command_override" or "command"), names the offending part
// (never more than ~80 bytes of the input) and says what to do, e.g.
// "command_override: must start with 'dbt'; got 'python'".
// The grammar is an allowlist: per subcommand, the flags it may take, which of them take a
// value (as the next word or as --flag=value) and which are for the socket owner only.
// Refused before any parsing: empty/whitespace-only; more than kMaxDbtCommandBytes bytes;
// ; & | ` $ > < and backslash, control characters, and invisible, bidi-control and
// space-like Unicode characters anywhere, even inside quotes; invalid UTF-8; unterminated
// quotes.
Result<std::vector<std::string>> validate_dbt_command(std::string_view command,
                                                      std::string_view what = "command_override",
                                                      Trust trust = Trust::token);

// Joins words into one display string, quoting words that need it with '...' (words holding
// a single quote are wrapped in "..."; words holding both quote kinds are built from adjacent
// parts). Guarantee: split_command_words(join_command_words(w)) == w for any words.
std::string join_command_words(const std::vector<std::string>& words);

}  // namespace dagctl::common
