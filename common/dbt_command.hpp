// dbt command lines: splitting, validation (CONTRACT §7 command_override) and display.
//
// No shell ever runs a dbt command: the validated words are passed as argv to execve.
// Validation is still strict so that a command stored or sent over HTTP cannot smuggle
// shell syntax, control characters, or flags that point dbt outside the project's folders.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dagctl::common {

// Largest accepted command, in bytes (CONTRACT §7: "more than 4 KiB" is rejected).
inline constexpr std::size_t kMaxDbtCommandBytes = 4096;

// Splits a command line into words like a POSIX shell does for plain words, '...' and "...",
// with no expansion of any kind. Adjacent quoted/unquoted parts join into one word
// (a'b'c -> abc); an empty quoted part yields a word ('' -> ""). Space, tab and newline
// separate words. Backslash is an ordinary character everywhere (no escapes): callers that
// accept user input must reject backslashes first, as validate_dbt_command does.
// Error (message without a prefix) on an unterminated quote.
Result<std::vector<std::string>> split_command_words(std::string_view line);

// Validates a dbt command per CONTRACT §7 and returns its argv words, the first being "dbt"
// and the second an allowed subcommand. On failure the error is one sentence that starts
// with `what` ("command_override" or "command"), names the offending part and says what to
// do, e.g. "command_override: must start with 'dbt'; got 'python'".
// Rejects: empty/whitespace-only; more than kMaxDbtCommandBytes bytes; ; & | ` $ > < and
// backslash, and any control character (ASCII 0x00-0x1F incl. tab and newline, 0x7F, and
// C1 U+0080-U+009F) anywhere, even inside quotes; invalid UTF-8; unterminated quotes;
// a first word other than "dbt"; flags before the subcommand; subcommands outside the
// allow-list (source only as "source freshness", docs only as "docs generate");
// --project-dir, --profiles-dir, --target-path, --log-path (also as --flag=value).
Result<std::vector<std::string>> validate_dbt_command(std::string_view command,
                                                      std::string_view what = "command_override");

// Joins words into one display string, quoting words that need it with '...' (words holding
// a single quote are wrapped in "..."; words holding both quote kinds are built from adjacent
// parts). Guarantee: split_command_words(join_command_words(w)) == w for any words.
std::string join_command_words(const std::vector<std::string>& words);

}  // namespace dagctl::common
