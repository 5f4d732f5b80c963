// Cron schedules (docs/schedules.md): a parser for 5-field Vixie cron expressions and the @ macros,
// the next fire time over IANA time zones (with the DST rules), and a short English
// description for `dagctl job show`. Pure functions; safe to call from any thread.
#pragma once

#include <date/tz.h>

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/time.hpp"

namespace dagctl::daemon::schedule {

// A parsed schedule. Each bitset is indexed by the field's own value, so some low bits are
// unused: minute[0..59], hour[0..23], dom[1..31] (bit 0 unused), month[1..12] (bit 0
// unused), dow[0..6] with 0 = Sunday (a 7 in the text is folded to 0).
struct CronExpr {
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> dom;
  std::bitset<13> month;
  std::bitset<7> dow;
  // The day-of-month / day-of-week field text starts with '*' ("*", "*/2", ...). Decides
  // how the two day fields combine; see day_matches().
  bool dom_star = true;
  bool dow_star = true;
  // The schedule as written, without leading/trailing blanks ("@daily", "0 3 * * *").
  std::string text;
};

// Parses a schedule:
// - 5 fields separated by any run of spaces/tabs (leading/trailing ones ignored):
//   minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or jan..dec) day-of-week
//   (0-7 or sun..sat; 0 and 7 are Sunday). Names are 3 letters, case-insensitive.
// - Each field is a comma list of elements: '*', 'a', 'a-b', '*/s', 'a-b/s', 'a/s' (= from a
//   to the field's maximum, step s). Names work anywhere a number does ('mon-fri'). A range
//   must not go backwards ('5-1', 'sat-sun' are errors: write 'sat,sun' or '6-7'). A step is
//   1 up to the field's span (59 for minutes, 23 for hours, 30, 11, 7).
// - Or one macro, case-insensitive: @yearly/@annually (0 0 1 1 *), @monthly (0 0 1 * *),
//   @weekly (0 0 * * 0), @daily/@midnight (0 0 * * *), @hourly (0 * * * *). @reboot is
//   rejected: a schedule names fire times.
// Errors name the field and the bad part, e.g.
//   "schedule field 2 (hour): '25' is out of range 0-23",
//   "schedule has 4 fields; it needs 5: minute hour day-of-month month day-of-week
//    (e.g. '0 3 * * *')",
//   "schedule field 5 (day of week): unknown name 'fun'; use sun..sat or 0-7".
// An expression that can never fire ('0 0 30 2 *') parses; next_fire() returns nullopt.
common::Result<CronExpr> parse_cron(std::string_view text);

// Whether a calendar day matches the day fields, as Vixie cron decides: when either day
// field starts with '*' (dom_star or dow_star, so '*/2' counts as a star) the day must match
// both fields; when both are restricted, matching either is enough ('0 0 13 * fri' fires on
// every 13th and on every Friday). month: 1-12, day: 1-31, weekday: 0-6 (0 = Sunday).
bool day_matches(const CronExpr& expr, unsigned month, unsigned day, unsigned weekday);

// The process's time zone as an IANA name: $TZ when it names a zone the database knows
// (a leading ':' or a /usr/share/zoneinfo/ prefix is dropped), else the machine's zone
// (/etc/localtime, via date::current_zone()), else "UTC".
std::string local_zone_name();

// The zone with that IANA name ("Europe/Berlin", "UTC"; exact case), loaded and ready to
// use. An error message (naming the zone, with a case-corrected suggestion when there is one)
// when the tz database does not know it, or when the database cannot be read.
// The pointer stays valid for the life of the process.
common::Result<const date::time_zone*> find_zone(std::string_view name);

// The first fire time strictly after `after`, reading `expr`'s wall-clock times in `zone`
// (nullptr means UTC). DST rules (docs/schedules.md):
// - a wall time skipped by a jump forward fires at the instant of the jump, once, even when
//   several cron times fall in the gap (or the first wall time after the gap also matches);
// - a wall time that happens twice (jump back) fires once, at its first occurrence.
// nullopt when it does not fire within 5*366 days of `after`'s local date ('0 0 30 2 *'), or
// when `after` is outside years 1-9999. The system tz database carries DST transitions up to
// 2037 only; later instants use the zone's last offset (standard time).
std::optional<common::TimePoint> next_fire(const CronExpr& expr, const date::time_zone* zone,
                                           common::TimePoint after);

// A short English description for people, e.g. "every day at 03:00", "every 15 minutes",
// "every hour", "at minute 5 of every hour", "at 09:00 on Monday to Friday",
// "at 00:00 on day 1 of the month", "at 00:00 on January 1",
// "at 00:00 on day 13 of the month and on Friday" (the OR rule);
// anything else field by field: "at minutes 0,30 past hours 9-17 on days 1,15 of the month
// in January and July". Times are wall-clock times in the job's zone.
std::string describe(const CronExpr& expr);

}  // namespace dagctl::daemon::schedule
