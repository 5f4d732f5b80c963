#include "common/since.hpp"

#include <string>

namespace dagctl::common {

namespace {

constexpr std::int64_t kMaxAgeSeconds = 10LL * 366 * 86400;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "+01:00" / "-05:30" -> signed seconds east of UTC.
std::optional<std::int64_t> parse_offset(std::string_view text) {
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return std::nullopt;
  for (size_t i : {1, 2, 4, 5}) {
    if (!is_digit(text[i])) return std::nullopt;
  }
  const int hours = (text[1] - '0') * 10 + (text[2] - '0');
  const int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  const std::int64_t seconds = hours * 3600 + minutes * 60;
  return text[0] == '+' ? seconds : -seconds;
}

}  // namespace

std::optional<std::chrono::seconds> parse_age(std::string_view text) {
  if (text.size() < 2 || text.size() > 12) return std::nullopt;
  std::int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (!is_digit(c)) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return std::nullopt;
  }
  if (n > kMaxAgeSeconds / unit) return std::nullopt;
  return std::chrono::seconds(n * unit);
}

std::optional<TimePoint> parse_since(std::string_view text, TimePoint now) {
  if (auto age = parse_age(text)) return now - std::chrono::duration_cast<std::chrono::milliseconds>(*age);
  // The strict form first; then the same with a numeric offset instead of the Z.
  if (auto t = parse_rfc3339(std::string(text))) return t;
  if (text.size() < 6) return std::nullopt;
  const auto offset = parse_offset(text.substr(text.size() - 6));
  if (!offset) return std::nullopt;
  const auto utc = parse_rfc3339(std::string(text.substr(0, text.size() - 6)) + "Z");
  if (!utc) return std::nullopt;
  return *utc - std::chrono::seconds(*offset);
}

}  // namespace dagctl::common
