#include "daemon/schedule/cron.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <vector>

namespace dagctl::daemon::schedule {

namespace {

using common::make_error;
using common::Result;

constexpr std::string_view kFieldsHint =
    "minute hour day-of-month month day-of-week (e.g. '0 3 * * *')";
constexpr std::string_view kMacroHint =
    "use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually";

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

struct FieldSpec {
  int number;  // 1-based position, as error messages count
  std::string_view label;
  int lo;
  int hi;
  const std::string_view* names = nullptr;  // 3-letter names, lowercase
  int name_count = 0;
  int name_base = 0;  // value of names[0]
  std::string_view name_hint;
};

constexpr std::array<FieldSpec, 5> kFields = {{
    {1, "minute", 0, 59, nullptr, 0, 0, ""},
    {2, "hour", 0, 23, nullptr, 0, 0, ""},
    {3, "day of month", 1, 31, nullptr, 0, 0, ""},
    {4, "month", 1, 12, kMonthNames.data(), 12, 1, "jan..dec or 1-12"},
    {5, "day of week", 0, 7, kDayNames.data(), 7, 0, "sun..sat or 0-7"},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool all_of(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return !s.empty();
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// User text echoed in a message: control bytes and non-ASCII become \xNN so an error line
// stays one readable line wherever it ends up (log, JSON, terminal).
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02X}", u);
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    const size_t length = pos == std::string_view::npos ? std::string_view::npos : pos - start;
    out.push_back(s.substr(start, length));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// Quartz and some other crons have L, W, # and ?; people paste such expressions.
bool looks_like_quartz(std::string_view token) {
  if (token.find_first_of("?#") != std::string_view::npos) return true;
  const std::string t = lowercase(token);
  if (t == "l" || t == "w" || t == "lw") return true;
  return t.size() >= 2 && (t.back() == 'l' || t.back() == 'w') &&
         all_of(std::string_view(t).substr(0, t.size() - 1), is_digit);
}

std::string quartz_hint(std::string_view token) {
  return looks_like_quartz(token) ? "; Quartz extensions (L, W, #, ?) are not supported" : "";
}

// One number or name inside an element ('5', 'mon', 'JAN'). Errors without the field prefix.
Result<int> parse_value(std::string_view token, const FieldSpec& spec) {
  if (all_of(token, is_digit)) {
    // More digits than any field needs is out of range whatever the value; this also keeps
    // atoi from overflowing.
    const int value = token.size() > 4 ? spec.hi + 1 : std::atoi(std::string(token).c_str());
    if (value < spec.lo || value > spec.hi) {
      return make_error(
          fmt::format("'{}' is out of range {}-{}", printable(token), spec.lo, spec.hi));
    }
    return value;
  }
  if (all_of(token, is_alpha)) {
    const std::string name = lowercase(token);
    for (int i = 0; i < spec.name_count; ++i) {
      if (spec.names[i] == name) return spec.name_base + i;
    }
    if (spec.name_count > 0) {
      return make_error(
          fmt::format("unknown name '{}'; use {}", printable(token), spec.name_hint));
    }
    // A name in a numeric field is usually a field in the wrong place.
    for (const FieldSpec& other : kFields) {
      for (int i = 0; i < other.name_count; ++i) {
        if (other.names[i] == name) {
          return make_error(fmt::format("'{}' is not a number ({} names go in field {})",
                                        printable(token), other.label, other.number));
        }
      }
    }
  }
  return make_error(fmt::format("'{}' is not a number{}", printable(token), quartz_hint(token)));
}

// One list element ('*', '5', '1-5', '*/15', '1-30/2', '5/10', 'mon-fri') into `bits`
// (indexed by value). Errors without the field prefix.
std::optional<std::string> parse_element(std::string_view element, const FieldSpec& spec,
                                         std::bitset<64>& bits) {
  for (char c : element) {
    if (!is_digit(c) && !is_alpha(c) && c != '*' && c != '-' && c != '/') {
      const auto u = static_cast<unsigned char>(c);
      const std::string shown =
          (u > 0x20 && u < 0x7f) ? fmt::format("'{}'", c) : fmt::format("byte \\x{:02X}", u);
      return fmt::format("unexpected character {} in '{}'{}", shown, printable(element),
                         quartz_hint(element));
    }
  }
  const auto slashes = split(element, '/');
  if (slashes.size() > 2) return fmt::format("more than one '/' in '{}'", element);
  const std::string_view base = slashes[0];
  const bool has_step = slashes.size() == 2;
  int step = 1;
  if (has_step) {
    const std::string_view step_text = slashes[1];
    if (step_text.empty()) return fmt::format("'{}' has no step after '/'", element);
    if (!all_of(step_text, is_digit)) {
      return fmt::format("step '{}' in '{}' is not a number", step_text, element);
    }
    // A step wider than the field would only ever hit its start: surely a mistake.
    const int max_step = spec.hi - spec.lo;
    step = step_text.size() > 4 ? max_step + 1 : std::atoi(std::string(step_text).c_str());
    if (step < 1 || step > max_step) {
      return fmt::format("step '{}' in '{}' is out of range 1-{}", step_text, element, max_step);
    }
  }

  int first = spec.lo;
  int last = spec.hi;
  if (base == "*") {
    // the whole field
  } else if (base.find('*') != std::string_view::npos) {
    return fmt::format("'*' must stand alone (as '*' or '*/step') in '{}'", element);
  } else if (base.empty()) {
    return fmt::format("'{}' has no value before '/'", element);
  } else {
    const auto dashes = split(base, '-');
    if (dashes.size() > 2) return fmt::format("more than one '-' in '{}'", element);
    if (dashes.size() == 2) {
      if (dashes[0].empty()) {
        return fmt::format("range '{}' has no start (negative numbers are not allowed)", base);
      }
      if (dashes[1].empty()) return fmt::format("range '{}' has no end", base);
      const Result<int> a = parse_value(dashes[0], spec);
      if (!a) return a.error();
      const Result<int> b = parse_value(dashes[1], spec);
      if (!b) return b.error();
      if (*a > *b) {
        // Vixie cron rejects these too; some crons wrap around, so refusing is the only
        // reading nobody can be surprised by.
        std::string message = fmt::format("range '{}' goes backwards", base);
        if (!all_of(dashes[0], is_digit) || !all_of(dashes[1], is_digit)) {
          message += fmt::format(" ({} to {})", *a, *b);
        }
        message += "; write the smaller value first";
        if (spec.number == 5 && *b == 0) message += " (Sunday is also 7, e.g. '5-7')";
        return message;
      }
      first = *a;
      last = *b;
    } else {
      const Result<int> a = parse_value(base, spec);
      if (!a) return a.error();
      first = *a;
      // 'a/s' means from a to the end of the field (as in cronie); plain 'a' is just a.
      last = has_step ? spec.hi : *a;
    }
  }
  for (int v = first; v <= last; v += step) bits.set(static_cast<size_t>(v));
  return std::nullopt;
}

// A whole field ('1,15,30-40/5'). Errors with the "schedule field N (label): " prefix.
std::optional<std::string> parse_field(std::string_view field, const FieldSpec& spec,
                                       std::bitset<64>& bits) {
  for (const std::string_view element : split(field, ',')) {
    std::optional<std::string> error;
    if (element.empty()) {
      error = fmt::format("empty element in list '{}'", printable(field));
    } else {
      error = parse_element(element, spec, bits);
    }
    if (error) return fmt::format("schedule field {} ({}): {}", spec.number, spec.label, *error);
  }
  return std::nullopt;
}

template <size_t N>
std::bitset<N> take(const std::bitset<64>& bits) {
  std::bitset<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

Result<CronExpr> parse_fields(const std::vector<std::string_view>& fields, std::string text) {
  std::array<std::bitset<64>, 5> bits;
  for (size_t i = 0; i < 5; ++i) {
    if (auto error = parse_field(fields[i], kFields[i], bits[i])) return make_error(*error);
  }
  CronExpr expr;
  expr.minute = take<60>(bits[0]);
  expr.hour = take<24>(bits[1]);
  expr.dom = take<32>(bits[2]);
  expr.month = take<13>(bits[3]);
  expr.dow = take<7>(bits[4]);
  if (bits[4][7]) expr.dow.set(0);  // 7 is Sunday too
  // Vixie cron looks at the first character only, so '*/2' counts as a star.
  expr.dom_star = fields[2].front() == '*';
  expr.dow_star = fields[4].front() == '*';
  expr.text = std::move(text);
  return expr;
}

Result<CronExpr> parse_macro(const std::vector<std::string_view>& words, std::string text) {
  const std::string name = lowercase(words[0]);
  if (name == "@reboot") {
    return make_error(
        "schedule '@reboot' is not supported: a schedule names times to fire at; use 5 fields "
        "or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually");
  }
  static const std::array<std::pair<std::string_view, std::string_view>, 7> kMacros = {{
      {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  }};
  for (const auto& [macro, fields] : kMacros) {
    if (macro != name) continue;
    if (words.size() > 1) {
      return make_error(fmt::format("schedule '{}' must stand alone; remove '{}' after it",
                                    printable(words[0]), printable(words[1])));
    }
    return parse_fields(split(fields, ' '), std::move(text));
  }
  return make_error(
      fmt::format("unknown schedule macro '{}'; {}", printable(words[0]), kMacroHint));
}

// ----- next_fire

// The instant a wall-clock time in `zone` stands for, per docs/schedules.md: a skipped time maps
// to the end of the gap (the jump), a repeated one to its first occurrence. This map never
// decreases as the local time grows, which is what lets next_fire scan local times in order
// and stop at the first result after `after`.
date::sys_seconds resolve(const date::time_zone* zone, date::local_seconds t) {
  if (zone == nullptr) return date::sys_seconds{t.time_since_epoch()};
  const date::local_info info = zone->get_info(t);
  if (info.result == date::local_info::nonexistent) return info.first.end;
  // unique, or ambiguous: `first` is the period before the jump back, the earlier instant.
  return date::sys_seconds{t.time_since_epoch() - info.first.offset};
}

// Days to look ahead: 5 years. Month/day expressions repeat within 4 years (Feb 29; 8 around
// 2100, which we accept to miss). Ones that AND a weekday with a day of month can take longer
// ('0 0 */29 2 mon': Feb 1 on a Monday, about every 6 years) and then read as never; the
// horizon keeps impossible ones ('0 0 30 2 *') cheap, about 50 microseconds.
constexpr int kHorizonDays = 5 * 366;

// ----- describe

template <size_t N>
std::vector<int> values(const std::bitset<N>& bits, int lo, int hi) {
  std::vector<int> out;
  for (int v = lo; v <= hi; ++v) {
    if (bits[static_cast<size_t>(v)]) out.push_back(v);
  }
  return out;
}

std::string ordinal(int n) {
  const int tens = n % 100;
  const char* suffix = "th";
  if (tens < 11 || tens > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return fmt::format("{}{}", n, suffix);
}

// The common difference when `v` (sorted) is an arithmetic progression of 3 or more
// values with a step of 2 or more; 0 otherwise.
int progression_step(const std::vector<int>& v) {
  if (v.size() < 3) return 0;
  const int step = v[1] - v[0];
  if (step < 2) return 0;
  for (size_t i = 2; i < v.size(); ++i) {
    if (v[i] - v[i - 1] != step) return 0;
  }
  return step;
}

// "1,15", "9-17", "1-5,10": runs of 3 or more consecutive values as ranges.
std::string compact(const std::vector<int>& v) {
  std::string out;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ',';
    if (j - i >= 2) {
      out += fmt::format("{}-{}", v[i], v[j]);
    } else {
      out += std::to_string(v[i]);
      if (j > i) out += fmt::format(",{}", v[j]);
    }
    i = j + 1;
  }
  return out;
}

// "hour 9", "hours 9-17", "every 2nd hour", "every 2nd hour from 9 to 17".
std::string numbers(const std::vector<int>& v, int lo, int hi, std::string_view one,
                    std::string_view many) {
  if (v.size() == 1) return fmt::format("{} {}", one, v[0]);
  if (const int step = progression_step(v)) {
    std::string out = fmt::format("every {} {}", ordinal(step), one);
    // Exactly what '*/step' gives: no need to say where it starts and ends.
    if (v.front() != lo || v.back() + step <= hi) {
      out += fmt::format(" from {} to {}", v.front(), v.back());
    }
    return out;
  }
  return fmt::format("{} {}", many, compact(v));
}

// "Monday", "Monday and Friday", "Monday to Friday", "January, April and July".
// `order` lists the values in display order; runs of 3 or more become "X to Y".
std::string names(const std::vector<int>& v, const std::vector<int>& order,
                  const std::vector<std::string_view>& full, std::string_view conj) {
  std::vector<bool> in(full.size(), false);
  for (int x : v) in[static_cast<size_t>(x)] = true;
  std::vector<std::string> items;
  for (size_t i = 0; i < order.size();) {
    if (!in[static_cast<size_t>(order[i])]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < order.size() && in[static_cast<size_t>(order[j + 1])]) ++j;
    const auto name = [&](size_t k) { return std::string(full[static_cast<size_t>(order[k])]); };
    if (j - i >= 2) {
      items.push_back(name(i) + " to " + name(j));
    } else {
      for (size_t k = i; k <= j; ++k) items.push_back(name(k));
    }
    i = j + 1;
  }
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? fmt::format(" {} ", conj) : std::string(", ");
    out += items[i];
  }
  return out;
}

const std::vector<std::string_view> kWeekdayNames = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                     "Thursday", "Friday", "Saturday"};
const std::vector<std::string_view> kMonthFullNames = {
    "",     "January", "February",  "March",   "April",    "May",     "June",
    "July", "August",  "September", "October", "November", "December"};

std::string weekdays(const std::vector<int>& v, std::string_view conj) {
  // Monday first: "Saturday and Sunday", "Friday to Sunday" read better than Sunday-first.
  return names(v, {1, 2, 3, 4, 5, 6, 0}, kWeekdayNames, conj);
}

std::string months(const std::vector<int>& v) {
  return names(v, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, kMonthFullNames, "and");
}

std::string clock(int hour, int minute) { return fmt::format("{:02}:{:02}", hour, minute); }

struct TimePhrase {
  std::string text;
  bool at_clock_times = false;  // "at 09:00 ...": reads "every day at ..." with no day part
};

// The every-n-minutes interval when the minutes are exactly {0, n, 2n, ...} with n dividing
// 60 (so the gap stays n across the hour); 0 otherwise.
int minute_interval(const std::vector<int>& m) {
  if (m.size() < 2 || m[0] != 0) return 0;
  const int n = m[1];
  if (60 % n != 0 || static_cast<int>(m.size()) != 60 / n) return 0;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] != static_cast<int>(i) * n) return 0;
  }
  return n;
}

TimePhrase time_phrase(const CronExpr& expr) {
  const std::vector<int> m = values(expr.minute, 0, 59);
  const std::vector<int> h = values(expr.hour, 0, 23);
  const bool all_minutes = m.size() == 60;
  const bool all_hours = h.size() == 24;
  const int interval = all_minutes ? 1 : minute_interval(m);
  const std::string every =
      interval == 1 ? "every minute" : fmt::format("every {} minutes", interval);

  if (all_hours) {
    if (interval) return {every};
    if (m.size() == 1) {
      return {m[0] == 0 ? "every hour" : fmt::format("at minute {} of every hour", m[0])};
    }
    return {"at " + numbers(m, 0, 59, "minute", "minutes") + " of every hour"};
  }
  if (m.size() * h.size() <= 4) {
    std::vector<std::string> times;
    for (int hh : h) {
      for (int mm : m) times.push_back(clock(hh, mm));
    }
    std::string out = "at ";
    for (size_t i = 0; i < times.size(); ++i) {
      if (i > 0) out += (i + 1 == times.size()) ? " and " : ", ";
      out += times[i];
    }
    return {out, true};
  }
  const bool contiguous_hours = h.back() - h.front() + 1 == static_cast<int>(h.size());
  if (m.size() == 1 && contiguous_hours) {
    return {fmt::format("every hour from {} to {}", clock(h.front(), m[0]), clock(h.back(), m[0]))};
  }
  if (interval) {
    // Contiguous hours read best as a span of clock times, last fire time included.
    if (contiguous_hours) {
      return {fmt::format("{} from {} to {}", every, clock(h.front(), 0),
                          clock(h.back(), m.back()))};
    }
    return {every + " during " + numbers(h, 0, 23, "hour", "hours")};
  }
  return {"at " + numbers(m, 0, 59, "minute", "minutes") + " past " +
          numbers(h, 0, 23, "hour", "hours")};
}

}  // namespace

common::Result<CronExpr> parse_cron(std::string_view text) {
  const auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  if (words.empty()) {
    return make_error(fmt::format("schedule is empty; it needs 5 fields: {}", kFieldsHint));
  }
  // The text as written minus outer blanks, for display and storage.
  std::string trimmed(words.front().data(),
                      static_cast<size_t>(words.back().data() + words.back().size() -
                                          words.front().data()));
  if (words[0].front() == '@') return parse_macro(words, std::move(trimmed));
  if (words.size() != 5) {
    std::string message = fmt::format("schedule has {} field{}; it needs 5: {}", words.size(),
                                      words.size() == 1 ? "" : "s", kFieldsHint);
    if (words.size() == 6 || words.size() == 7) {
      message += "; seconds and year fields are not supported";
    }
    return make_error(std::move(message));
  }
  return parse_fields(words, std::move(trimmed));
}

bool day_matches(const CronExpr& expr, unsigned month, unsigned day, unsigned weekday) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || weekday > 6) return false;
  if (!expr.month[month]) return false;
  const bool dom = expr.dom[day];
  const bool dow = expr.dow[weekday];
  return (expr.dom_star || expr.dow_star) ? (dom && dow) : (dom || dow);
}

std::string local_zone_name() {
  // $TZ first: it is what the C library (and so every log line) uses for this process.
  if (const char* env = std::getenv("TZ"); env != nullptr && *env != '\0') {
    std::string_view name = env;
    if (name.front() == ':') name.remove_prefix(1);
    constexpr std::string_view kZoneinfo = "/usr/share/zoneinfo/";
    if (name.substr(0, kZoneinfo.size()) == kZoneinfo) name.remove_prefix(kZoneinfo.size());
    if (find_zone(name)) return std::string(name);
  }
  try {
    const date::time_zone* zone = date::current_zone();
    if (zone != nullptr && find_zone(zone->name())) return std::string(zone->name());
  } catch (const std::exception&) {
    // No /etc/localtime (minimal containers) or no tz database: fall through.
  }
  return "UTC";
}

common::Result<const date::time_zone*> find_zone(std::string_view name) {
  if (name.empty()) {
    return make_error("time zone is empty; use an IANA name such as 'Europe/Berlin' or 'UTC'");
  }
  // /usr/share/zoneinfo/localtime is a link to the machine's zone, not a zone name: a job
  // stored with it would silently change zone with the machine.
  if (name == "localtime") {
    return make_error(
        "time zone 'localtime' is not an IANA name; use one such as 'Europe/Berlin' or 'UTC'");
  }
  try {
    const date::tzdb& db = date::get_tzdb();
    for (const date::time_zone& zone : db.zones) {
      if (zone.name() == name) {
        // Loads the zone's file now, so a broken database shows here and not in next_fire.
        (void)zone.get_info(date::sys_seconds{});
        return &zone;
      }
    }
    const std::string wanted = lowercase(name);
    for (const date::time_zone& zone : db.zones) {
      if (lowercase(zone.name()) == wanted && zone.name() != "localtime") {
        return make_error(fmt::format("unknown time zone '{}'; did you mean '{}'?", printable(name),
                                      zone.name()));
      }
    }
  } catch (const std::exception& e) {
    return make_error(fmt::format("cannot read the time zone database: {}", e.what()));
  }
  return make_error(fmt::format(
      "unknown time zone '{}'; use an IANA name such as 'Europe/Berlin' or 'UTC'",
      printable(name)));
}

std::optional<common::TimePoint> next_fire(const CronExpr& expr, const date::time_zone* zone,
                                           common::TimePoint after) {
  using date::days;
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  // Outside this the day arithmetic below could overflow; nobody schedules there.
  const date::sys_days lowest = date::year{1} / 1 / 2;
  const date::sys_days highest = date::year{9999} / 12 / 30;
  if (after < lowest || after > highest) return std::nullopt;

  const date::local_time<milliseconds> local_after =
      zone == nullptr ? date::local_time<milliseconds>{after.time_since_epoch()}
                      : zone->to_local(after);
  // No wall time before the local date of `after` can resolve to an instant after it (the
  // resolve map never decreases), so the scan starts there.
  const date::local_days first_day = date::floor<days>(local_after);
  const std::vector<int> hours_set = values(expr.hour, 0, 23);
  const std::vector<int> minutes_set = values(expr.minute, 0, 59);
  for (int i = 0; i <= kHorizonDays; ++i) {
    const date::local_days day = first_day + days{i};
    const date::year_month_day ymd{day};
    if (!day_matches(expr, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     date::weekday{day}.c_encoding())) {
      continue;
    }
    // The day's wall times in order resolve to non-decreasing instants, so: skip the day
    // when its last one is not after `after`, else binary-search the first that is. Chained
    // calls ("* * * * *" all day) stay cheap this way.
    const auto fire_at = [&](size_t k) -> common::TimePoint {
      return resolve(zone, day + hours{hours_set[k / minutes_set.size()]} +
                               minutes{minutes_set[k % minutes_set.size()]});
    };
    const size_t count = hours_set.size() * minutes_set.size();
    if (count == 0 || fire_at(count - 1) <= after) continue;
    size_t lo = 0;
    size_t hi = count - 1;  // fire_at(hi) > after
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (fire_at(mid) > after) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    // Strictly after: several wall times resolving to one jump instant fire once.
    return fire_at(lo);
  }
  return std::nullopt;
}

std::string describe(const CronExpr& expr) {
  const TimePhrase time = time_phrase(expr);
  const std::vector<int> dom = values(expr.dom, 1, 31);
  const std::vector<int> dow = values(expr.dow, 0, 6);
  const std::vector<int> month = values(expr.month, 1, 12);
  const bool all_dom = dom.size() == 31;
  const bool all_dow = dow.size() == 7;
  const bool all_months = month.size() == 12;
  const auto on_days = [&] { return "on " + numbers(dom, 1, 31, "day", "days") + " of the month"; };

  std::string day;
  bool month_said = false;
  if (expr.dom_star || expr.dow_star) {  // a day must match both fields
    if (all_dom && !all_dow) {
      day = "on " + weekdays(dow, "and");
    } else if (!all_dom && all_dow) {
      if (dom.size() == 1 && month.size() == 1) {
        day = fmt::format("on {} {}", kMonthFullNames[static_cast<size_t>(month[0])], dom[0]);
        month_said = true;
      } else {
        day = on_days();
      }
    } else if (!all_dom && !all_dow) {
      day = on_days() + " if it is " + weekdays(dow, "or");
    }
  } else if (!all_dom && !all_dow) {  // both restricted: either one will do
    day = on_days() + " and on " + weekdays(dow, "and");
  }

  std::string out = time.text;
  if (time.at_clock_times && day.empty()) out = "every day " + out;
  if (!day.empty()) out += " " + day;
  if (!all_months && !month_said) out += " in " + months(month);
  return out;
}

}  // namespace dagctl::daemon::schedule
