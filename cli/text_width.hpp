// Text measured in terminal columns: UTF-8 aware (wide CJK and emoji take two columns,
// combining marks none) and blind to ANSI colour sequences. Pure functions, so the watch
// mode's lines can be fitted to any width in tests (docs/cli.md#watch-mode).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dagctl::cli {

// Columns `text` takes on a terminal; "\033[...m" sequences take none.
int display_width(std::string_view text);

// `text` cut to at most `columns` columns, ending in "…" when something was cut; never
// splits a UTF-8 character. Colour sequences are kept (a reset is added after a cut).
std::string fit_to_width(std::string_view text, int columns);

// `text` split at spaces into lines of at most `columns` columns; the first line starts
// with `first_indent`, the others with `indent`. A word longer than a line is cut across
// lines. columns <= 0: one line, no wrapping (output that is not a terminal).
std::vector<std::string> wrap_words(std::string_view text, int columns, std::string_view first_indent,
                                    std::string_view indent);

}  // namespace dagctl::cli
