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
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto word = text.substr(start, comma - start);
    if (std::find(kTriggers.begin(), kTriggers.end(), word) == kTriggers.end()) {
      throw service::bad_request("unknown triggered_by " + common::quote(word) +
                                 "; use manual, schedule or retry (several: triggered_by=manual,schedule)");
    }
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
    start = comma + 1;
  }
  return out;
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
