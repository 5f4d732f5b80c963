// The runs list's query parameters that take words or times (docs/api.md, Listing runs and
// paging): pure functions, so that their messages are unit-tested.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"

namespace dagctl::daemon::api {

// "a,b,a" -> what `parse` makes of a and b, once each, in order. `parse` throws the 400 that
// names a word it does not know (an empty one included); every comma list of the API
// (status=, triggered_by=, a run's nodes' status=) is read by this one walk.
template <class Parse>
auto parse_word_list(std::string_view text, Parse parse) {
  std::vector<decltype(parse(text))> out;
  size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    auto value = parse(text.substr(start, comma - start));
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
    start = comma + 1;
  }
  return out;
}

// "manual,schedule" -> both, once each, in order. An unknown or empty word throws a 400
// UserError naming it and the allowed words (manual, schedule, retry).
std::vector<std::string> parse_trigger_list(const std::string& text);
// `until=`: an RFC 3339 time or an age back from `now`, like `since=`; else a 400 naming it.
common::TimePoint parse_until(const std::string& text, common::TimePoint now);

}  // namespace dagctl::daemon::api
