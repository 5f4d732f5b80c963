// The runs list's query parameters that take words or times (docs/api.md, Listing runs and
// paging): pure functions, so that their messages are unit-tested.
#pragma once

#include <string>
#include <vector>

#include "common/time.hpp"

namespace dagctl::daemon::api {

// "manual,schedule" -> both, once each, in order. An unknown or empty word throws a 400
// UserError naming it and the allowed words (manual, schedule, retry).
std::vector<std::string> parse_trigger_list(const std::string& text);
// `until=`: an RFC 3339 time or an age back from `now`, like `since=`; else a 400 naming it.
common::TimePoint parse_until(const std::string& text, common::TimePoint now);

}  // namespace dagctl::daemon::api
