// Tests for common/since: the ages and times `since=` and `dagctl runs --since` take
// (docs/api.md, Listing runs).
#include "common/since.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using dagctl::common::parse_age;
using dagctl::common::parse_rfc3339;
using dagctl::common::parse_since;

TEST(Since, AgesAreANumberAndOneUnit) {
  EXPECT_EQ(parse_age("30s"), 30s);
  EXPECT_EQ(parse_age("90m"), 90min);
  EXPECT_EQ(parse_age("24h"), 24h);
  EXPECT_EQ(parse_age("7d"), 7 * 24h);
  EXPECT_EQ(parse_age("2w"), 14 * 24h);
  EXPECT_EQ(parse_age("0h"), 0s);
  for (const char* bad : {"", "h", "24", "24 h", "-1h", "+1h", "1.5h", "1y", "24H", "99999999999999d", "3650w"}) {
    EXPECT_FALSE(parse_age(bad).has_value()) << bad;
  }
}

TEST(Since, IsAnAgeBackFromNowOrAnRfc3339Time) {
  const auto now = *parse_rfc3339("2026-12-06T12:00:00Z");
  EXPECT_EQ(parse_since("24h", now), parse_rfc3339("2026-12-05T12:00:00Z"));
  EXPECT_EQ(parse_since("2026-12-01T10:00:00Z", now), parse_rfc3339("2026-12-01T10:00:00Z"));
  EXPECT_EQ(parse_since("2026-12-01T10:00:00.250Z", now), parse_rfc3339("2026-12-01T10:00:00.250Z"));
  EXPECT_EQ(parse_since("2026-12-01T10:00:00+01:00", now), parse_rfc3339("2026-12-01T09:00:00Z"));
  EXPECT_EQ(parse_since("2026-12-01T10:00:00-05:30", now), parse_rfc3339("2026-12-01T15:30:00Z"));
  for (const char* bad : {"yesterday", "2026-12-01", "2026-12-01T10:00:00", "2026-12-01T10:00:00+1:00",
                          "2026-12-01T10:00:00+24:00", "2026-12-01T10:00:00Z+01:00",
                          // dates and times that do not exist (timegm would move them)
                          "2026-13-45T99:99:99Z", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z",
                          "2026-00-10T00:00:00Z", "2026-12-01T10:00:00.2x5Z"}) {
    EXPECT_FALSE(parse_since(bad, now).has_value()) << bad;
  }
}

}  // namespace
