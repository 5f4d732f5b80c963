// Command text shared by the dbt and SQLMesh grammars (docs/commands.md, "How a command is
// read"): splitting into words, the refusals before any parsing, quoting for display.
//
// No shell ever runs a command: the validated words are passed as argv to execve. The checks
// here still refuse shell syntax and invisible characters, so that a stored command looks
// like what runs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dagctl::common {

// Largest accepted command, in bytes (docs/commands.md: "more than 4 KiB" is refused).
inline constexpr std::size_t kMaxCommandBytes = 4096;

// Who is asking (docs/commands.md, "Who may run what"). `token` is a bearer-token holder over
// TCP: command_override in a trigger, or a job's command set over TCP. `owner` is the user of
// the Unix socket (the CLI), and commands already stored (they were checked when set).
enum class Trust { token, owner };

// Splits a command line into words like a POSIX shell does for plain words, '...' and "...",
// with no expansion of any kind. Adjacent quoted/unquoted parts join into one word
// (a'b'c -> abc); an empty quoted part yields a word ('' -> ""). Space, tab and newline
// separate words. Backslash is an ordinary character everywhere (no escapes): callers that
// accept user input must reject backslashes first, as split_checked_command does.
// Error (message without a prefix) on an unterminated quote.
Result<std::vector<std::string>> split_command_words(std::string_view line);

// Joins words into one display string, quoting words that need it with '...' (words holding
// a single quote are wrapped in "..."; words holding both quote kinds are built from adjacent
// parts). Guarantee: split_command_words(join_command_words(w)) == w for any words.
std::string join_command_words(const std::vector<std::string>& words);

// The checks every command passes before a grammar reads it, then split_command_words.
// Refused: empty/whitespace-only; more than kMaxCommandBytes bytes; ; & | ` $ > < and
// backslash, control characters, and invisible, bidi-control and space-like Unicode
// characters anywhere, even inside quotes; invalid UTF-8; unterminated quotes.
// The error is one sentence starting with "<what>: "; `tool` ("dbt", "sqlmesh") and
// `example` (a quoted command) make the empty and ';' messages speak of the right tool.
Result<std::vector<std::string>> split_checked_command(std::string_view command, std::string_view what,
                                                       std::string_view tool, std::string_view example);

// Helpers for the grammars' messages.
namespace command_text {

// Long enough to recognise a word in an error message, short enough that a 4 KiB word does
// not turn one sentence into a wall of text.
inline constexpr std::size_t kMaxQuotedBytes = 80;

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence ("..." marks a cut).
std::string truncate_utf8(std::string_view s, std::size_t max);
// A part of the user's input, in single quotes, at most kMaxQuotedBytes of it.
std::string quoted(std::string_view s);
bool is_blank(std::string_view s);
// The flag name of `word` (before any '='), ASCII lower-case with '_' -> '-', so spelling
// variants of a refused flag are refused too.
std::string normalized_flag_name(std::string_view word);

}  // namespace command_text
}  // namespace dagctl::common
