// What the CLI knows of its terminal: is stdout one, how wide it is, whether to colour
// (NO_COLOR and --color: docs/cli.md).
#pragma once

#include <cstdio>
#include <string>

namespace dagctl::cli {

bool is_terminal(int fd);

// The terminal's width in columns (TIOCGWINSZ on `fd`), else $COLUMNS, else 80. Read it
// again after a SIGWINCH.
int terminal_columns(int fd);

// `choice` is --color's value: "always", "never" or "auto" (colour when `fd` is a
// terminal and NO_COLOR is unset or empty, as https://no-color.org asks).
bool use_colour(const std::string& choice, int fd);

// Prints `text` and a newline to `out`, wrapped at spaces to the terminal's width when `out`
// is a terminal (continuation lines indented), as it is otherwise.
void print_wrapped(std::FILE* out, const std::string& text);

}  // namespace dagctl::cli
