// Fuzzes the cron parser (docs/schedules.md) with schedule texts as sent in a job's
// `schedule` field, then the next fire time and the description of what parsed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/schedule/cron.hpp"

namespace schedule = dagctl::daemon::schedule;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto expr = schedule::parse_cron(text);
  if (!expr) {
    if (expr.error().empty()) std::abort();  // every refusal says why
    return 0;
  }
  // Whatever parsed must answer its next fire time and describe itself without failing.
  static const auto* zone = schedule::find_zone("Europe/Berlin").value();
  const auto after = dagctl::common::TimePoint(std::chrono::seconds(1'700'000'000));
  const auto next = schedule::next_fire(*expr, zone, after);
  if (next && *next <= after) std::abort();  // strictly after
  if (schedule::describe(*expr).empty()) std::abort();
  return 0;
}
