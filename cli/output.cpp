#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iostream>

#include "cli/context.hpp"
#include "cli/terminal.hpp"
#include "cli/text_width.hpp"

namespace dagctl::cli {

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

namespace {

size_t columns_of(std::string_view text) { return static_cast<size_t>(display_width(text)); }

// The first `columns` columns of `text`, ending in "…" when it was longer.
std::string cut(const std::string& text, size_t columns) {
  return fit_to_width(text, static_cast<int>(columns));
}

}  // namespace

std::vector<std::string> fit_table(const std::vector<std::vector<std::string>>& rows,
                                   const std::vector<size_t>& elastic, std::optional<size_t> width) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], columns_of(row[i]));
  }
  if (width && !widths.empty()) {
    size_t total = 2 * (widths.size() - 1);
    for (auto w : widths) total += w;
    // An elastic column shrinks to its header's width (at least 4) and no further.
    auto floor_of = [&](size_t col) {
      return std::max<size_t>(4, rows.empty() || col >= rows[0].size() ? 0 : columns_of(rows[0][col]));
    };
    while (total > *width) {
      size_t widest = widths.size();
      for (size_t col : elastic) {
        if (col < widths.size() && widths[col] > floor_of(col) && (widest == widths.size() || widths[col] > widths[widest])) {
          widest = col;
        }
      }
      if (widest == widths.size()) break;  // nothing left to cut: the lines wrap
      --widths[widest];
      --total;
    }
  }
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string cell = cut(row[i], widths[i]);
      line += cell;
      if (i + 1 < row.size()) line += std::string(widths[i] - columns_of(cell) + 2, ' ');
    }
    lines.push_back(line);
  }
  return lines;
}

std::optional<size_t> terminal_width() {
  if (!is_terminal(STDOUT_FILENO)) return std::nullopt;
  return static_cast<size_t>(terminal_columns(STDOUT_FILENO));
}

void print_table(const std::vector<std::vector<std::string>>& rows, const std::vector<size_t>& elastic) {
  for (const auto& line : fit_table(rows, elastic, elastic.empty() ? std::nullopt : terminal_width())) {
    std::cout << line << "\n";
  }
}

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json null_value;
  if (!object.is_object()) return null_value;
  const auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

std::string text_field(const nlohmann::json& object, std::string_view key) { return text_of(field(object, key)); }

std::string text_of(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string format_duration(const nlohmann::json& seconds) {
  if (!seconds.is_number()) return "-";
  const double s = seconds.get<double>();
  if (s < 60) return fmt::format("{:.1f}s", s);
  const auto total = static_cast<long>(std::lround(s));
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m{:02}s", total / 3600, (total % 3600) / 60, total % 60);
}

std::string format_size(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const double kib = static_cast<double>(bytes) / 1024.0;
  if (kib < 1024) return fmt::format("{:.1f} KiB", kib);
  const double mib = kib / 1024.0;
  if (mib < 1024) return fmt::format("{:.1f} MiB", mib);
  return fmt::format("{:.1f} GiB", mib / 1024.0);
}

std::string format_when(const nlohmann::json& rfc3339, common::TimePoint now) {
  if (!rfc3339.is_string()) return text_of(rfc3339);
  const std::string text = rfc3339.get<std::string>();
  const auto t = common::parse_rfc3339(text);
  if (!t) return text;
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *t).count();
  if (age >= 0 && age < 60) return fmt::format("{}s ago", age);
  if (age >= 0 && age < 3600) return fmt::format("{}m ago", age / 60);
  if (age >= 0 && age < 86400) return fmt::format("{}h ago", age / 3600);
  const std::time_t secs = static_cast<std::time_t>(common::to_millis(*t) / 1000);
  std::tm local{};
  localtime_r(&secs, &local);
  char buf[32];
  const char* format = age > 182 * 86400 ? "%Y-%m-%d" : "%b %d %H:%M";
  return std::strftime(buf, sizeof buf, format, &local) ? std::string(buf) : text;
}

std::string run_job_label(const nlohmann::json& run) {
  const auto& current = field(run, "job_current_name");
  if (current.is_string()) return current.get<std::string>();
  if (!run.is_object() || !run.contains("job_current_name")) return text_field(run, "job_name");  // an older daemon
  // A run's name is "<job>-<triggered_by>-<YYYYMMDD-HHMMSS>" (docs/api.md).
  std::string name = text_field(run, "job_name");
  const std::string tail = "-" + text_field(run, "triggered_by") + "-";
  constexpr size_t kStamp = 15;
  if (name.size() > tail.size() + kStamp && name.compare(name.size() - kStamp - tail.size(), tail.size(), tail) == 0) {
    name.resize(name.size() - kStamp - tail.size());
  }
  return name + " (deleted)";
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

}  // namespace dagctl::cli
