// Tests for daemon/api/run_list_params: the runs list's triggered_by= and until= (docs/api.md,
// Listing runs and paging), and the messages of their 400s.
#include "daemon/api/run_list_params.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/service/errors.hpp"

namespace {

namespace api = dagctl::daemon::api;
using dagctl::daemon::service::UserError;
using Words = std::vector<std::string>;

std::string refusal(const std::string& text) {
  try {
    api::parse_trigger_list(text);
  } catch (const UserError& e) {
    EXPECT_EQ(e.http_status(), 400);
    return e.what();
  }
  ADD_FAILURE() << "'" << text << "' was accepted";
  return "";
}

TEST(DaemonApiRunListParams, TriggersAreACommaListOfTheKnownWordsOnceEach) {
  EXPECT_EQ(api::parse_trigger_list("manual"), Words{"manual"});
  EXPECT_EQ(api::parse_trigger_list("schedule,manual"), (Words{"schedule", "manual"}));
  EXPECT_EQ(api::parse_trigger_list("retry,retry,manual,retry"), (Words{"retry", "manual"}));
}

TEST(DaemonApiRunListParams, AnUnknownOrEmptyTriggerNamesItAndTheAllowedOnes) {
  for (const std::string bad : {"api", "Manual", "", "manual,", ",schedule", "manual,,retry", "manual schedule"}) {
    const auto message = refusal(bad);
    EXPECT_NE(message.find("manual, schedule or retry"), std::string::npos) << message;
  }
  EXPECT_NE(refusal("manual,cron").find("'cron'"), std::string::npos) << refusal("manual,cron");
}

TEST(DaemonApiRunListParams, UntilTakesWhatSinceTakes) {
  const auto now = dagctl::common::from_millis(1'775'131'200'000);
  EXPECT_EQ(api::parse_until("24h", now), now - std::chrono::hours(24));
  EXPECT_EQ(api::parse_until("2026-04-02T12:00:00Z", now), *dagctl::common::parse_rfc3339("2026-04-02T12:00:00Z"));
  try {
    api::parse_until("yesterday", now);
    FAIL() << "'yesterday' was accepted";
  } catch (const UserError& e) {
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_NE(std::string(e.what()).find("'until'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("yesterday"), std::string::npos) << e.what();
  }
}

}  // namespace
