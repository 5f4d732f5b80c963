// Wall-clock helpers. Everything the API shows is RFC 3339 UTC with a 'Z'.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace dagctl::common {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;

TimePoint now();
// "2026-04-02T12:00:00Z", or with milliseconds "2026-04-02T12:00:00.123Z" when they are not 0.
std::string to_rfc3339(TimePoint t);
// Accepts what to_rfc3339 writes. nullopt on anything else.
std::optional<TimePoint> parse_rfc3339(const std::string& text);
// "20260402-120000" (UTC), for run names.
std::string to_compact_stamp(TimePoint t);
std::int64_t to_millis(TimePoint t);
TimePoint from_millis(std::int64_t ms);

}  // namespace dagctl::common
