#include "daemon/api/run_list_params.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/limits.hpp"
#include "common/since.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

namespace {

// What a run's triggered_by may be (docs/api.md, Runs).
constexpr std::array<std::string_view, 3> kTriggers = {"manual", "schedule", "retry"};

}  // namespace

std::vector<std::string> parse_trigger_list(const std::string& text) {
  return parse_word_list(text, [](std::string_view word) {
    if (std::find(kTriggers.begin(), kTriggers.end(), word) == kTriggers.end()) {
      throw service::bad_request("unknown triggered_by " + common::quote(word) +
                                 "; use manual, schedule or retry (several: triggered_by=manual,schedule)");
    }
    return std::string(word);
  });
}

common::TimePoint parse_until(const std::string& text, common::TimePoint now) {
  const auto until = common::parse_since(text, now);
  if (!until) {
    throw service::bad_request("'until' must be an RFC 3339 time such as 2026-12-06T10:00:00Z or an age such "
                               "as 90m, 24h or 7d (at most 10 years back); got " + common::quote(text));
  }
  return *until;
}

}  // namespace dagctl::daemon::api
