// Tests for cli/resolve's --since: what `dagctl runs --since` sends (docs/cli.md). Run
// prefixes are tested against the fake daemon in test_cli_requests.cpp.
#include "cli/resolve.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace {

using dagctl::cli::CliError;
using dagctl::cli::resolve_since;

// This machine's zone set for one test.
class InZone {
public:
  explicit InZone(const char* tz) {
    if (const char* saved = std::getenv("TZ")) old_ = saved;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~InZone() {
    old_ ? ::setenv("TZ", old_->c_str(), 1) : ::unsetenv("TZ");
    ::tzset();
  }
  InZone(const InZone&) = delete;
  InZone& operator=(const InZone&) = delete;

private:
  std::optional<std::string> old_;
};

TEST(CliResolveSince, AgesAndRfc3339TimesGoToTheDaemonAsTyped) {
  const auto now = dagctl::common::now();
  EXPECT_EQ(resolve_since("24h", now), "24h");
  EXPECT_EQ(resolve_since("7d", now), "7d");
  EXPECT_EQ(resolve_since("2026-12-01T10:00:00Z", now), "2026-12-01T10:00:00Z");
  EXPECT_EQ(resolve_since("2026-12-01T10:00:00+01:00", now), "2026-12-01T10:00:00+01:00");
}

TEST(CliResolveSince, ALocalDateOrTimeBecomesUtc) {
  const InZone berlin("Europe/Berlin");
  const auto now = dagctl::common::now();
  EXPECT_EQ(resolve_since("2026-12-01", now), "2026-11-30T23:00:00Z");
  EXPECT_EQ(resolve_since("2026-12-01 14:00", now), "2026-12-01T13:00:00Z");
  EXPECT_EQ(resolve_since("2026-07-01T14:00:30", now), "2026-07-01T12:00:30Z");  // summer time
}

TEST(CliResolveSince, AnythingElseSaysWhatSinceTakes) {
  const auto now = dagctl::common::now();
  for (const char* bad : {"yesterday", "24", "2026-13-01", "2026-02-30", "2026-12-01 25:00", "2026-12-01 14",
                          "2026-12-01T14:00:3", "12/01/2026"}) {
    try {
      resolve_since(bad, now);
      ADD_FAILURE() << bad << " was taken";
    } catch (const CliError& e) {
      EXPECT_NE(std::string(e.what()).find("--since takes"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
