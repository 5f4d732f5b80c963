// "Since when" as people write it (docs/api.md, Listing runs): an RFC 3339 time, or an
// age back from now such as 90m, 24h or 7d.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/time.hpp"

namespace dagctl::common {

// A whole number and one unit: s, m, h, d or w ("24h", "7d"); at most ten years.
std::optional<std::chrono::seconds> parse_age(std::string_view text);
// An RFC 3339 time with a zone ("2026-12-06T10:00:00Z", "...+01:00", fractions allowed
// as to_rfc3339 writes them) or an age back from `now`.
std::optional<TimePoint> parse_since(std::string_view text, TimePoint now);

}  // namespace dagctl::common
