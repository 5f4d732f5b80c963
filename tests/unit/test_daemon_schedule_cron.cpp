// Tests for daemon/schedule/cron: the parser (docs/schedules.md syntax and its error messages),
// next fire times against hand-checked instants (leap days, month ends, names, the
// day-of-month/day-of-week rule, DST in three zones), and describe().
#include "daemon/schedule/cron.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace {

using dagctl::common::parse_rfc3339;
using dagctl::common::TimePoint;
using dagctl::common::to_rfc3339;
using dagctl::daemon::schedule::CronExpr;
using dagctl::daemon::schedule::day_matches;
using dagctl::daemon::schedule::describe;
using dagctl::daemon::schedule::find_zone;
using dagctl::daemon::schedule::local_zone_name;
using dagctl::daemon::schedule::next_fire;
using dagctl::daemon::schedule::parse_cron;

// "0-4,7,9-10": the set bits from lo to hi, runs of 2 or more as ranges.
template <size_t N>
std::string bits(const std::bitset<N>& b, int lo, int hi) {
  std::string out;
  for (int v = lo; v <= hi;) {
    if (!b[static_cast<size_t>(v)]) {
      ++v;
      continue;
    }
    int end = v;
    while (end + 1 <= hi && b[static_cast<size_t>(end + 1)]) ++end;
    if (!out.empty()) out += ',';
    out += end > v ? std::to_string(v) + "-" + std::to_string(end) : std::to_string(v);
    v = end + 1;
  }
  return out;
}

// "min=0 hour=3 dom=1-31* month=1-12 dow=0-6*": a '*' after dom/dow is the star flag.
std::string show(const CronExpr& e) {
  return "min=" + bits(e.minute, 0, 59) + " hour=" + bits(e.hour, 0, 23) +
         " dom=" + bits(e.dom, 1, 31) + (e.dom_star ? "*" : "") +
         " month=" + bits(e.month, 1, 12) + " dow=" + bits(e.dow, 0, 6) + (e.dow_star ? "*" : "");
}

const char* const kEveryDay = "dom=1-31* month=1-12 dow=0-6*";

TEST(Cron, ParsesValidExpressions) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"* * * * *", std::string("min=0-59 hour=0-23 ") + kEveryDay},
      {"0 3 * * *", std::string("min=0 hour=3 ") + kEveryDay},
      {"*/15 * * * *", std::string("min=0,15,30,45 hour=0-23 ") + kEveryDay},
      {"5/20 * * * *", std::string("min=5,25,45 hour=0-23 ") + kEveryDay},
      {"10-20/5 9-17/4 * * *", std::string("min=10,15,20 hour=9,13,17 ") + kEveryDay},
      {"0,30 9-17 1,15 jan,jul *", "min=0,30 hour=9-17 dom=1,15 month=1,7 dow=0-6*"},
      {"1,2,3,10-12 0 * * *", std::string("min=1-3,10-12 hour=0 ") + kEveryDay},
      {"0 9 * * mon-fri", "min=0 hour=9 dom=1-31* month=1-12 dow=1-5"},
      {"0 9 * * MON-Fri", "min=0 hour=9 dom=1-31* month=1-12 dow=1-5"},
      {"0 9 * * sat,sun", "min=0 hour=9 dom=1-31* month=1-12 dow=0,6"},
      {"0 9 * * 7", "min=0 hour=9 dom=1-31* month=1-12 dow=0"},
      {"0 9 * * 5-7", "min=0 hour=9 dom=1-31* month=1-12 dow=0,5-6"},
      {"0 9 * * 0-7", "min=0 hour=9 dom=1-31* month=1-12 dow=0-6"},
      {"0 9 * * */2", "min=0 hour=9 dom=1-31* month=1-12 dow=0,2,4,6*"},
      {"0 9 * * 1/2", "min=0 hour=9 dom=1-31* month=1-12 dow=0-1,3,5"},  // 1,3,5,7
      {"0 0 1 feb-apr,DEC *", "min=0 hour=0 dom=1 month=2-4,12 dow=0-6*"},
      {"0 0 1 */3 *", "min=0 hour=0 dom=1 month=1,4,7,10 dow=0-6*"},
      {"0 0 */2 * fri", "min=0 hour=0 dom=1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31* "
                        "month=1-12 dow=5"},
      {"0 0 13 * fri", "min=0 hour=0 dom=13 month=1-12 dow=5"},
      {"0 0 1-31 * fri", "min=0 hour=0 dom=1-31 month=1-12 dow=5"},
      {"00 05 01 01 00", "min=0 hour=5 dom=1 month=1 dow=0"},
      {"59 23 31 12 6", "min=59 hour=23 dom=31 month=12 dow=6"},
      {"0 0 30 2 *", "min=0 hour=0 dom=30 month=2 dow=0-6*"},  // valid, never fires
      {"  0\t3 \t *  *\t*  ", std::string("min=0 hour=3 ") + kEveryDay},
      {"@yearly", "min=0 hour=0 dom=1 month=1 dow=0-6*"},
      {"@annually", "min=0 hour=0 dom=1 month=1 dow=0-6*"},
      {"@monthly", "min=0 hour=0 dom=1 month=1-12 dow=0-6*"},
      {"@weekly", "min=0 hour=0 dom=1-31* month=1-12 dow=0"},
      {"@daily", std::string("min=0 hour=0 ") + kEveryDay},
      {"@midnight", std::string("min=0 hour=0 ") + kEveryDay},
      {"@hourly", std::string("min=0 hour=0-23 ") + kEveryDay},
      {" @Daily ", std::string("min=0 hour=0 ") + kEveryDay},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_cron(c.input);
    ASSERT_TRUE(parsed.ok()) << "'" << c.input << "': " << parsed.error();
    EXPECT_EQ(show(*parsed), c.expected) << "'" << c.input << "'";
  }
}

TEST(Cron, KeepsTheTextTrimmed) {
  EXPECT_EQ(parse_cron("  0\t3 * * *  ")->text, "0\t3 * * *");
  EXPECT_EQ(parse_cron("@daily")->text, "@daily");
}

TEST(Cron, RejectsInvalidExpressionsNamingTheField) {
  struct Case {
    std::string input;
    std::vector<std::string> must_contain;
  };
  const std::vector<Case> cases = {
      {"", {"schedule is empty", "minute hour day-of-month month day-of-week"}},
      {" \t ", {"schedule is empty"}},
      {"0 3 * *",
       {"schedule has 4 fields; it needs 5: minute hour day-of-month month day-of-week "
        "(e.g. '0 3 * * *')"}},
      {"0", {"schedule has 1 field; it needs 5"}},
      {"0 0 3 * * *", {"schedule has 6 fields", "seconds and year fields are not supported"}},
      {"0 25 * * *", {"schedule field 2 (hour): '25' is out of range 0-23"}},
      {"60 * * * *", {"schedule field 1 (minute): '60' is out of range 0-59"}},
      {"0 0 0 * *", {"schedule field 3 (day of month): '0' is out of range 1-31"}},
      {"0 0 32 * *", {"schedule field 3 (day of month): '32' is out of range 1-31"}},
      {"0 0 * 13 *", {"schedule field 4 (month): '13' is out of range 1-12"}},
      {"0 0 * * 8", {"schedule field 5 (day of week): '8' is out of range 0-7"}},
      {"99999999999 * * * *", {"schedule field 1 (minute): '99999999999' is out of range 0-59"}},
      {"5-1 * * * *",
       {"schedule field 1 (minute): range '5-1' goes backwards; write the smaller value first"}},
      {"0 0 * * sat-sun",
       {"schedule field 5 (day of week): range 'sat-sun' goes backwards (6 to 0)",
        "Sunday is also 7"}},
      {"*/0 * * * *", {"schedule field 1 (minute): step '0' in '*/0' is out of range 1-59"}},
      {"0 */24 * * *", {"schedule field 2 (hour): step '24' in '*/24' is out of range 1-23"}},
      {"*/ * * * *", {"schedule field 1 (minute): '*/' has no step after '/'"}},
      {"*/x * * * *", {"schedule field 1 (minute): step 'x' in '*/x' is not a number"}},
      {"1/2/3 * * * *", {"schedule field 1 (minute): more than one '/' in '1/2/3'"}},
      {"/5 * * * *", {"schedule field 1 (minute): '/5' has no value before '/'"}},
      {"1,,2 * * * *", {"schedule field 1 (minute): empty element in list '1,,2'"}},
      {"0 1, * * *", {"schedule field 2 (hour): empty element in list '1,'"}},
      {"0 0 * * fun", {"schedule field 5 (day of week): unknown name 'fun'; use sun..sat or 0-7"}},
      {"0 0 * foo *", {"schedule field 4 (month): unknown name 'foo'; use jan..dec or 1-12"}},
      {"0 0 * * monday", {"schedule field 5 (day of week): unknown name 'monday'"}},
      {"0 0 * * mon-fun", {"schedule field 5 (day of week): unknown name 'fun'"}},
      {"0 0 mon * *",
       {"schedule field 3 (day of month): 'mon' is not a number (day of week names go in "
        "field 5)"}},
      {"0 x * * *", {"schedule field 2 (hour): 'x' is not a number"}},
      {"0 0 L * *", {"schedule field 3 (day of month): 'L' is not a number", "Quartz"}},
      {"0 0 ? * *", {"schedule field 3 (day of month): unexpected character '?' in '?'", "Quartz"}},
      {"0 0 * * 5#2", {"schedule field 5 (day of week): unexpected character '#' in '5#2'"}},
      {"0 0 1.5 * *", {"schedule field 3 (day of month): unexpected character '.' in '1.5'"}},
      {"0 3 * * *\n",
       {"schedule field 5 (day of week): unexpected character byte \\x0A in '*\\x0A'"}},
      {"-5 * * * *", {"schedule field 1 (minute): range '-5' has no start"}},
      {"5- * * * *", {"schedule field 1 (minute): range '5-' has no end"}},
      {"1-2-3 * * * *", {"schedule field 1 (minute): more than one '-' in '1-2-3'"}},
      {"*-5 * * * *", {"schedule field 1 (minute): '*' must stand alone"}},
      {"0 0 * * **", {"schedule field 5 (day of week): '*' must stand alone"}},
      {"@reboot", {"'@reboot' is not supported", "use 5 fields or one of @hourly, @daily"}},
      {"@every 5m", {"unknown schedule macro '@every'", "@hourly"}},
      {"@daily 5", {"schedule '@daily' must stand alone; remove '5' after it"}},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_cron(c.input);
    ASSERT_FALSE(parsed.ok()) << "'" << c.input << "' parsed as " << show(*parsed);
    for (const auto& part : c.must_contain) {
      EXPECT_NE(parsed.error().find(part), std::string::npos)
          << "'" << c.input << "': error '" << parsed.error() << "' lacks '" << part << "'";
    }
  }
}

TEST(Cron, DayMatchesFollowsVixieRule) {
  // 2026-04-03 is a Friday (weekday 5), 2026-04-13 a Monday (1), 2026-04-17 a Friday.
  const auto either = *parse_cron("0 0 13 * fri");
  EXPECT_TRUE(day_matches(either, 4, 3, 5));
  EXPECT_TRUE(day_matches(either, 4, 13, 1));
  EXPECT_FALSE(day_matches(either, 4, 14, 2));
  const auto both = *parse_cron("0 0 */2 * fri");
  EXPECT_TRUE(day_matches(both, 4, 17, 5));
  EXPECT_FALSE(day_matches(both, 4, 10, 5));  // even day
  EXPECT_FALSE(day_matches(both, 4, 13, 1));  // odd day, but a Monday
  EXPECT_FALSE(day_matches(both, 13, 1, 5));  // out of range arguments never match
}

// Chains next_fire `count` times from `after` ("never" once it stops).
std::vector<std::string> fires(const std::string& expr, const std::string& zone_name,
                               const std::string& after, int count) {
  const auto parsed = parse_cron(expr);
  EXPECT_TRUE(parsed.ok()) << expr << ": " << parsed.error();
  const auto zone = find_zone(zone_name);
  EXPECT_TRUE(zone.ok()) << zone.error();
  const auto start = parse_rfc3339(after);
  EXPECT_TRUE(start.has_value()) << after;
  std::vector<std::string> out;
  if (!parsed.ok() || !zone.ok() || !start) return out;
  TimePoint t = *start;
  for (int i = 0; i < count; ++i) {
    const auto next = next_fire(*parsed, *zone, t);
    if (!next) {
      out.push_back("never");
      break;
    }
    EXPECT_GT(*next, t) << expr;
    out.push_back(to_rfc3339(*next));
    t = *next;
  }
  return out;
}

using Fires = std::vector<std::string>;

TEST(Cron, NextFireSimpleCases) {
  EXPECT_EQ(fires("* * * * *", "UTC", "2026-04-02T12:00:00Z", 2),
            (Fires{"2026-04-02T12:01:00Z", "2026-04-02T12:02:00Z"}));
  EXPECT_EQ(fires("* * * * *", "UTC", "2026-04-02T12:00:30.500Z", 1),
            (Fires{"2026-04-02T12:01:00Z"}));
  EXPECT_EQ(fires("* * * * *", "UTC", "2026-04-02T12:00:59.999Z", 1),
            (Fires{"2026-04-02T12:01:00Z"}));
  EXPECT_EQ(fires("*/15 * * * *", "UTC", "2026-04-02T12:07:00Z", 4),
            (Fires{"2026-04-02T12:15:00Z", "2026-04-02T12:30:00Z", "2026-04-02T12:45:00Z",
                   "2026-04-02T13:00:00Z"}));
  EXPECT_EQ(fires("0 3 * * *", "UTC", "2026-04-02T02:59:59Z", 2),
            (Fires{"2026-04-02T03:00:00Z", "2026-04-03T03:00:00Z"}));
  EXPECT_EQ(fires("0 3 * * *", "UTC", "2026-04-02T03:00:00Z", 1), (Fires{"2026-04-03T03:00:00Z"}));
  // Year end.
  EXPECT_EQ(fires("30 23 31 12 *", "UTC", "2026-12-31T23:30:00Z", 1),
            (Fires{"2027-12-31T23:30:00Z"}));
  // A zone east of UTC: 03:00 in Tokyo (+09, no DST) is 18:00Z the day before.
  EXPECT_EQ(fires("0 3 * * *", "Asia/Tokyo", "2026-04-02T00:00:00Z", 2),
            (Fires{"2026-04-02T18:00:00Z", "2026-04-03T18:00:00Z"}));
  // The local date of `after` differs from its UTC date (Los Angeles is -07 in April).
  EXPECT_EQ(fires("0 20 * * *", "America/Los_Angeles", "2026-04-03T02:00:00Z", 1),
            (Fires{"2026-04-03T03:00:00Z"}));
}

TEST(Cron, NextFireCalendarCases) {
  // Leap day: from March 2027 the next Feb 29 is in 2028, then 2032.
  EXPECT_EQ(fires("0 0 29 2 *", "UTC", "2027-03-01T00:00:00Z", 2),
            (Fires{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}));
  // The 31st skips the 30-day months (and February).
  EXPECT_EQ(fires("0 0 31 * *", "UTC", "2026-01-31T00:00:00Z", 6),
            (Fires{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                   "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z"}));
  // Without L: the 30th skips February; the 29th too, except in a leap year.
  EXPECT_EQ(fires("0 0 30 * *", "UTC", "2026-01-30T00:00:00Z", 1), (Fires{"2026-03-30T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 29 * *", "UTC", "2027-01-29T00:00:00Z", 1), (Fires{"2027-03-29T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 29 * *", "UTC", "2028-01-29T00:00:00Z", 1), (Fires{"2028-02-29T00:00:00Z"}));
  // "The last days" 28-31: all of February 2028's last days, then March.
  EXPECT_EQ(fires("0 0 28-31 * *", "UTC", "2028-02-27T00:00:00Z", 3),
            (Fires{"2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z", "2028-03-28T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 28-31 * *", "UTC", "2027-02-27T00:00:00Z", 2),
            (Fires{"2027-02-28T00:00:00Z", "2027-03-28T00:00:00Z"}));
  // Never: Feb 30, Apr 31.
  EXPECT_EQ(fires("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", 1), (Fires{"never"}));
  EXPECT_EQ(fires("0 0 31 4 *", "Europe/Berlin", "2026-01-01T00:00:00Z", 1), (Fires{"never"}));
  // ...but with a restricted weekday the OR rule makes Feb 30 "or a Monday in February":
  // Feb 1 2027 is a Monday.
  EXPECT_EQ(fires("0 0 30 2 mon", "UTC", "2026-03-01T00:00:00Z", 1),
            (Fires{"2027-02-01T00:00:00Z"}));
  // Month steps and names: Jan, Apr, Jul, Oct.
  EXPECT_EQ(fires("0 0 1 */3 *", "UTC", "2026-04-01T00:00:00Z", 2),
            (Fires{"2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"}));
  EXPECT_EQ(fires("0 12 15 jan,jul *", "UTC", "2026-04-01T00:00:00Z", 2),
            (Fires{"2026-07-15T12:00:00Z", "2027-01-15T12:00:00Z"}));
  // Step ranges: hours 9, 13, 17; minutes 5, 25, 45.
  EXPECT_EQ(fires("0 9-17/4 * * *", "UTC", "2026-04-02T13:00:00Z", 2),
            (Fires{"2026-04-02T17:00:00Z", "2026-04-03T09:00:00Z"}));
  EXPECT_EQ(fires("5/20 * * * *", "UTC", "2026-04-02T12:45:00Z", 2),
            (Fires{"2026-04-02T13:05:00Z", "2026-04-02T13:25:00Z"}));
}

TEST(Cron, NextFireWeekdays) {
  // April 2026: the 1st is a Wednesday; the 3rd a Friday, the 5th a Sunday, the 6th a Monday.
  EXPECT_EQ(fires("0 9 * * mon-fri", "UTC", "2026-04-02T09:00:00Z", 3),
            (Fires{"2026-04-03T09:00:00Z", "2026-04-06T09:00:00Z", "2026-04-07T09:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * sun", "UTC", "2026-04-02T00:00:00Z", 1),
            (Fires{"2026-04-05T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * 7", "UTC", "2026-04-02T00:00:00Z", 1), (Fires{"2026-04-05T00:00:00Z"}));
  EXPECT_EQ(fires("@weekly", "UTC", "2026-04-02T00:00:00Z", 1), (Fires{"2026-04-05T00:00:00Z"}));
  // Both day fields restricted: the 13th (a Monday) OR any Friday.
  EXPECT_EQ(fires("0 0 13 * fri", "UTC", "2026-04-01T00:00:00Z", 6),
            (Fires{"2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z",
                   "2026-04-17T00:00:00Z", "2026-04-24T00:00:00Z", "2026-05-01T00:00:00Z"}));
  // '*/2' counts as a star (Vixie cron), so both must match: odd days that are Fridays.
  EXPECT_EQ(fires("0 0 */2 * fri", "UTC", "2026-04-01T00:00:00Z", 4),
            (Fires{"2026-04-03T00:00:00Z", "2026-04-17T00:00:00Z", "2026-05-01T00:00:00Z",
                   "2026-05-15T00:00:00Z"}));
  // '1-31' is not a star: OR with Fridays, so every day.
  EXPECT_EQ(fires("0 0 1-31 * fri", "UTC", "2026-04-01T00:00:00Z", 2),
            (Fires{"2026-04-02T00:00:00Z", "2026-04-03T00:00:00Z"}));
}

TEST(Cron, NextFireNewYorkDst) {
  // 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00Z. 02:30 does not exist: fires at the jump.
  EXPECT_EQ(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2),
            (Fires{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  EXPECT_EQ(fires("0 3 * * *", "America/New_York", "2026-03-07T12:00:00Z", 1),
            (Fires{"2026-03-08T07:00:00Z"}));
  // 02:00, 02:30 (in the gap) and 03:00 all land on the jump: one fire.
  EXPECT_EQ(fires("*/30 * * * *", "America/New_York", "2026-03-08T06:00:00Z", 4),
            (Fires{"2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z",
                   "2026-03-08T08:00:00Z"}));
  EXPECT_EQ(fires("* * * * *", "America/New_York", "2026-03-08T06:58:00Z", 3),
            (Fires{"2026-03-08T06:59:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:01:00Z"}));
  // 2026-11-01: 02:00 EDT falls back to 01:00 EST at 06:00Z. 01:30 happens twice: fires once,
  // at 01:30 EDT (05:30Z); the next is the next day's 01:30 EST (06:30Z).
  EXPECT_EQ(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
            (Fires{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(fires("*/30 * * * *", "America/New_York", "2026-11-01T04:00:00Z", 5),
            (Fires{"2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z",
                   "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z"}));
  // From inside the second 01:xx: its wall times already fired the first time round.
  EXPECT_EQ(fires("*/30 * * * *", "America/New_York", "2026-11-01T06:15:00Z", 1),
            (Fires{"2026-11-01T07:00:00Z"}));
}

TEST(Cron, NextFireBerlinDst) {
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z.
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2),
            (Fires{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(fires("0,15 2,3 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 3),
            (Fires{"2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-30T00:00:00Z"}));
  // 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00Z; 02:30 fires at 02:30 CEST.
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
            (Fires{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  EXPECT_EQ(fires("15,45 * * * *", "Europe/Berlin", "2026-10-25T00:00:00Z", 3),
            (Fires{"2026-10-25T00:15:00Z", "2026-10-25T00:45:00Z", "2026-10-25T02:15:00Z"}));
}

TEST(Cron, NextFireLordHoweHalfHourDst) {
  // Lord Howe shifts by 30 minutes. 2026-10-04: 02:00 +1030 jumps to 02:30 +11 at
  // 2026-10-03T15:30Z; 02:00-02:29 do not exist.
  EXPECT_EQ(fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z", 3),
            (Fires{"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}));
  // 02:00 is in the gap and 02:30 is the jump's own wall time: one fire.
  EXPECT_EQ(fires("*/30 * * * *", "Australia/Lord_Howe", "2026-10-03T14:45:00Z", 3),
            (Fires{"2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"}));
  // 2026-04-05: 02:00 +11 falls back to 01:30 +1030 at 2026-04-04T15:00Z; 01:30-01:59 repeat.
  EXPECT_EQ(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2),
            (Fires{"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}));
  EXPECT_EQ(fires("*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:40:00Z", 3),
            (Fires{"2026-04-04T14:45:00Z", "2026-04-04T15:30:00Z", "2026-04-04T15:45:00Z"}));
}

// An independent reading of docs/schedules.md, minute by minute in UTC: instant t fires when its
// wall time matches and this is that wall time's first occurrence, or when t is a jump
// forward whose skipped wall times include a match.
bool reference_fires_at(const CronExpr& e, const date::time_zone* zone, date::sys_seconds t) {
  const auto matches = [&](date::local_seconds wall) {
    const auto day = date::floor<date::days>(wall);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<std::chrono::seconds> hms{wall - day};
    return e.minute[static_cast<size_t>(hms.minutes().count())] &&
           e.hour[static_cast<size_t>(hms.hours().count())] &&
           day_matches(e, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       date::weekday{day}.c_encoding());
  };
  const date::sys_info now = zone->get_info(t);
  const date::local_seconds wall{t.time_since_epoch() + now.offset};
  if (matches(wall)) {
    const date::local_info info = zone->get_info(wall);
    const date::sys_seconds earliest{wall.time_since_epoch() - info.first.offset};
    const bool first_occurrence = info.result != date::local_info::ambiguous || t == earliest;
    if (first_occurrence) return true;
  }
  if (now.begin == t) {
    const date::sys_info before = zone->get_info(t - std::chrono::seconds{1});
    for (auto w = date::local_seconds{t.time_since_epoch() + before.offset}; w < wall;
         w += std::chrono::minutes{1}) {
      if (matches(w)) return true;
    }
  }
  return false;
}

TEST(Cron, NextFireAgreesWithMinuteByMinuteReference) {
  const std::vector<std::string> exprs = {"* * * * *",       "*/30 * * * *", "30 2 * * *",
                                          "15,45 1-3 * * *", "0 * * * *",    "*/7 2 * * *",
                                          "59 1 * * *",      "0 2 * * 0,2"};
  struct Window {
    std::string zone;
    std::string from;  // 12 hours before a transition; the window is 24 hours
  };
  const std::vector<Window> windows = {
      {"America/New_York", "2026-03-07T19:00:00Z"},
      {"America/New_York", "2026-10-31T18:00:00Z"},
      {"Europe/Berlin", "2026-03-28T13:00:00Z"},
      {"Europe/Berlin", "2026-10-24T13:00:00Z"},
      {"Australia/Lord_Howe", "2026-10-03T03:30:00Z"},
      {"Australia/Lord_Howe", "2026-04-04T03:00:00Z"},
      // +1345 <-> +1245: 45-minute offsets, transitions at 02:45 standard time.
      {"Pacific/Chatham", "2026-04-04T02:00:00Z"},
      {"Pacific/Chatham", "2026-09-26T02:00:00Z"},
      {"UTC", "2028-02-28T12:00:00Z"},
  };
  for (const auto& w : windows) {
    const date::time_zone* zone = *find_zone(w.zone);
    const TimePoint from = *parse_rfc3339(w.from);
    const TimePoint until = from + std::chrono::hours{24};
    for (const auto& text : exprs) {
      const CronExpr e = *parse_cron(text);
      std::vector<std::string> expected;
      for (auto t = date::sys_seconds{std::chrono::duration_cast<std::chrono::seconds>(
                                          from.time_since_epoch())} +
                    std::chrono::minutes{1};
           t <= until; t += std::chrono::minutes{1}) {
        if (reference_fires_at(e, zone, t)) expected.push_back(to_rfc3339(t));
      }
      std::vector<std::string> actual;
      for (TimePoint t = from;;) {
        const auto next = next_fire(e, zone, t);
        if (!next || *next > until) break;
        actual.push_back(to_rfc3339(*next));
        t = *next;
      }
      EXPECT_FALSE(expected.empty()) << text << " in " << w.zone;
      EXPECT_EQ(actual, expected) << text << " in " << w.zone << " from " << w.from;
    }
  }
}

TEST(Cron, NextFireWithoutZoneIsUtc) {
  const auto e = *parse_cron("0 3 * * *");
  EXPECT_EQ(to_rfc3339(*next_fire(e, nullptr, *parse_rfc3339("2026-04-02T04:00:00Z"))),
            "2026-04-03T03:00:00Z");
}

TEST(Cron, NextFireOutOfRangeIsNullopt) {
  const auto e = *parse_cron("* * * * *");
  const auto utc = *find_zone("UTC");
  EXPECT_FALSE(next_fire(e, utc, TimePoint::max()).has_value());
  EXPECT_FALSE(next_fire(e, utc, TimePoint::min()).has_value());
}

TEST(Cron, FindsZones) {
  for (const char* name : {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"}) {
    const auto zone = find_zone(name);
    ASSERT_TRUE(zone.ok()) << name << ": " << zone.error();
    EXPECT_EQ((*zone)->name(), name);
  }
  const auto typo = find_zone("Europe/Berln");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().find("unknown time zone 'Europe/Berln'"), std::string::npos)
      << typo.error();
  const auto lower = find_zone("europe/berlin");
  ASSERT_FALSE(lower.ok());
  EXPECT_NE(lower.error().find("did you mean 'Europe/Berlin'?"), std::string::npos)
      << lower.error();
  EXPECT_FALSE(find_zone("").ok());
  EXPECT_FALSE(find_zone("localtime").ok());
  EXPECT_FALSE(find_zone("../../etc/passwd").ok());
  EXPECT_FALSE(find_zone("/usr/share/zoneinfo/UTC").ok());
}

TEST(Cron, LocalZoneNameIsAKnownZone) {
  const char* saved = std::getenv("TZ");
  const std::string saved_value = saved ? saved : "";
  ::setenv("TZ", ":Australia/Lord_Howe", 1);
  EXPECT_EQ(local_zone_name(), "Australia/Lord_Howe");
  ::setenv("TZ", "/usr/share/zoneinfo/Europe/Berlin", 1);
  EXPECT_EQ(local_zone_name(), "Europe/Berlin");
  ::setenv("TZ", "Not/AZone", 1);  // falls back to the machine's zone
  EXPECT_TRUE(find_zone(local_zone_name()).ok()) << local_zone_name();
  if (saved) {
    ::setenv("TZ", saved_value.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  EXPECT_TRUE(find_zone(local_zone_name()).ok()) << local_zone_name();
}

TEST(Cron, Describes) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"* * * * *", "every minute"},
      {"*/15 * * * *", "every 15 minutes"},
      {"0 * * * *", "every hour"},
      {"@hourly", "every hour"},
      {"5 * * * *", "at minute 5 of every hour"},
      {"0,30 * * * *", "every 30 minutes"},
      {"5,35 * * * *", "at minutes 5,35 of every hour"},
      {"*/7 * * * *", "at every 7th minute of every hour"},
      {"0 3 * * *", "every day at 03:00"},
      {"@daily", "every day at 00:00"},
      {"0 9,17 * * *", "every day at 09:00 and 17:00"},
      {"0 9 * * mon-fri", "at 09:00 on Monday to Friday"},
      {"0 9 * * sat,sun", "at 09:00 on Saturday and Sunday"},
      {"0 9 * * 1,3,5", "at 09:00 on Monday, Wednesday and Friday"},
      {"@weekly", "at 00:00 on Sunday"},
      {"@monthly", "at 00:00 on day 1 of the month"},
      {"@yearly", "at 00:00 on January 1"},
      {"0 0 1,15 * *", "at 00:00 on days 1,15 of the month"},
      {"0 0 13 * fri", "at 00:00 on day 13 of the month and on Friday"},
      {"0 0 */2 * fri", "at 00:00 on every 2nd day of the month if it is Friday"},
      {"0 0 1-31 * fri", "every day at 00:00"},
      {"*/15 9-17 * * mon-fri", "every 15 minutes from 09:00 to 17:45 on Monday to Friday"},
      {"* 9-17 * * *", "every minute from 09:00 to 17:59"},
      {"*/30 9,12,18 * * *", "every 30 minutes during hours 9,12,18"},
      {"0 */2 * * *", "at minute 0 past every 2nd hour"},
      {"0 1-5 * * *", "every hour from 01:00 to 05:00"},
      {"30 9-17 * * mon-fri", "every hour from 09:30 to 17:30 on Monday to Friday"},
      {"0 0 * * 5-7", "at 00:00 on Friday to Sunday"},
      {"30 4 1-7 * mon", "at 04:30 on days 1-7 of the month and on Monday"},
      {"0 9-17/2 * * *", "at minute 0 past every 2nd hour from 9 to 17"},
      {"0,30 9-17 1,15 jan,jul *",
       "every 30 minutes from 09:00 to 17:30 on days 1,15 of the month in January and July"},
      {"5,35 9-17 1,15 jan,jul *",
       "at minutes 5,35 past hours 9-17 on days 1,15 of the month in January and July"},
      {"0 3 * 1-3 *", "every day at 03:00 in January to March"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_cron(c.input);
    ASSERT_TRUE(parsed.ok()) << c.input << ": " << parsed.error();
    EXPECT_EQ(describe(*parsed), c.expected) << "'" << c.input << "'";
  }
}

}  // namespace
