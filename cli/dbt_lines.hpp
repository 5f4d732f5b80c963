// dbt's per-node lines in its text output, e.g.
// "02:15:19  4 of 30 OK loaded seed file main.stores ....... [INSERT 3 in 0.16s]",
// read and written again for the watch mode (docs/cli.md#watch-mode). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dagctl::cli {

struct NodeLine {
  std::string timestamp;    // "02:15:19", or "" when dbt printed none
  int index = 0;            // 4 (of 30)
  int total = 0;            // 30
  std::string status;       // START, OK, ERROR, FAIL, WARN, PASS, SKIP...
  std::string description;  // "loaded seed file main.stores"
  std::string result;       // "[INSERT 3 in 0.16s]" with its brackets, or ""
};

std::optional<NodeLine> parse_node_line(std::string_view line);

// The node a START line names: "sql view model main.stg_books" -> "stg_books".
std::string started_node_name(const NodeLine& line);

// Output that is not a terminal: "[4/30] OK loaded seed file main.stores [INSERT 3 in 0.16s]"
// (`done`: how many nodes finished so far, this one included).
std::string plain_node_line(const NodeLine& line, int done);

// As dbt prints it, fitted to `columns` - 1 display columns (the dots shrink, then the
// description is shortened), the status coloured when `colour`.
std::string terminal_node_line(const NodeLine& line, int columns, bool colour);

// ANSI colour of a dbt status word: green (OK, PASS), red (ERROR, FAIL), yellow (WARN,
// SKIP), "" otherwise.
std::string_view status_colour(std::string_view status);

}  // namespace dagctl::cli
