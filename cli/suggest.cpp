#include "cli/suggest.hpp"

#include <algorithm>

namespace dagctl::cli {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: the Levenshtein table plus adjacent transpositions.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& choices) {
  if (word.empty()) return std::nullopt;
  const size_t allowed = word.size() <= 3 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  bool tied = false;
  for (const auto& c : choices) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
      tied = false;
    } else if (d == best_distance) {
      tied = true;
    }
  }
  if (best && !tied) return best;
  std::optional<std::string> starts;
  for (const auto& c : choices) {
    if (c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
      if (starts) return std::nullopt;  // two start with it: say nothing rather than guess
      starts = c;
    }
  }
  return starts;
}

}  // namespace dagctl::cli
