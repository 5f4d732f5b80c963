#include "common/time.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace dagctl::common {

TimePoint now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now()); }

std::int64_t to_millis(TimePoint t) { return t.time_since_epoch().count(); }

TimePoint from_millis(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

namespace {
std::tm utc_tm(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(to_millis(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string to_rfc3339(TimePoint t) {
  const std::tm tm = utc_tm(t);
  const auto ms = static_cast<int>(((to_millis(t) % 1000) + 1000) % 1000);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ms != 0) out += fmt::format(".{:03}", ms);
  return out + "Z";
}

std::string to_compact_stamp(TimePoint t) {
  const std::tm tm = utc_tm(t);
  return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<TimePoint> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  if (rest.size() == 5 && rest[0] == '.' && rest[4] == 'Z') {
    ms = std::atoi(rest.substr(1, 3).c_str());
  } else if (rest != "Z") {
    return std::nullopt;
  }
  // timegm would normalise 2026-02-30 into March: a date that does not exist is refused.
  const int year = tm.tm_year;
  const int month = tm.tm_mon;
  const int day = tm.tm_mday;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  if (month < 1 || month > 12 || day < 1 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 || tm.tm_hour < 0 ||
      tm.tm_min < 0 || tm.tm_sec < 0 || rest.find_first_not_of(".0123456789Z") != std::string::npos) {
    return std::nullopt;
  }
  const std::time_t secs = timegm(&tm);
  if (tm.tm_year != year - 1900 || tm.tm_mon != month - 1 || tm.tm_mday != day) return std::nullopt;
  return from_millis(static_cast<std::int64_t>(secs) * 1000 + ms);
}

}  // namespace dagctl::common
