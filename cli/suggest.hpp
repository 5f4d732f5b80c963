// "did you mean" for a mistyped command (docs/cli.md), the way git does it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dagctl::cli {

// Edits between two words: insertions, deletions, substitutions and swaps of two
// neighbours, one each ("shwo" -> "show" is 1).
size_t edit_distance(std::string_view a, std::string_view b);
// The one choice `word` most likely meant: the nearest within 2 edits (1 for words of up to
// 3 letters), else the only choice that starts with it. nullopt when none is close or
// the nearest are tied.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& choices);

}  // namespace dagctl::cli
