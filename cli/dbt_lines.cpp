#include "cli/dbt_lines.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "cli/text_width.hpp"

namespace dagctl::cli {

namespace {

// dbt pads a node line with dots to about this many columns after its timestamp.
constexpr int kDbtLineWidth = 80;

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string paint(std::string_view text, std::string_view colour, bool enabled) {
  if (!enabled || colour.empty()) return std::string(text);
  return fmt::format("{}{}\033[0m", colour, text);
}

}  // namespace

std::optional<NodeLine> parse_node_line(std::string_view line) {
  static const std::regex kNode(R"(^(\S*)\s+(\d+) of (\d+) (\S+) (.*?)\s*\.*\s*(\[.*\])?\s*$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(line.begin(), line.end(), m, kNode)) return std::nullopt;
  NodeLine out;
  out.timestamp = m[1].str();
  try {
    out.index = std::stoi(m[2].str());
    out.total = std::stoi(m[3].str());
  } catch (const std::exception&) {
    return std::nullopt;  // digits beyond int: not a line of dbt's
  }
  out.status = m[4].str();
  out.description = m[5].str();
  if (m[6].matched) out.result = m[6].str();
  return out;
}

std::string started_node_name(const NodeLine& line) {
  const auto space = line.description.find_last_of(' ');
  std::string name = space == std::string::npos ? line.description : line.description.substr(space + 1);
  if (const auto dot = name.find_last_of('.'); dot != std::string::npos && dot + 1 < name.size()) {
    name = name.substr(dot + 1);
  }
  return name;
}

std::string plain_node_line(const NodeLine& line, int done) {
  return fmt::format("[{}/{}] {} {}{}", done, line.total, line.status, line.description,
                     line.result.empty() ? "" : " " + line.result);
}

std::string_view status_colour(std::string_view status) {
  const std::string s = upper(status);
  if (s == "OK" || s == "PASS" || s == "SUCCESS") return "\033[32m";
  if (s == "ERROR" || s == "FAIL") return "\033[31m";
  if (s == "WARN" || s == "SKIP") return "\033[33m";
  return "";
}

std::string terminal_node_line(const NodeLine& line, int columns, bool colour) {
  const int room = columns - 1;
  std::string prefix = line.timestamp.empty() ? "" : line.timestamp + "  ";
  const std::string counter = fmt::format("{} of {} ", line.index, line.total);
  const std::string right = line.result.empty() ? "" : " " + line.result;
  // What the line needs besides the description: the counter, the status, the result.
  auto fixed = [&] { return display_width(prefix + counter + line.status + " " + right); };
  if (room - fixed() < 8) prefix.clear();  // narrow: dbt's clock goes first
  const int desc_room = room - fixed();
  if (desc_room < 8) {
    return fit_to_width(prefix + counter + line.status + " " + line.description + right, room);
  }
  const std::string description = fit_to_width(line.description, desc_room);
  const int used = fixed() + display_width(description);
  const int target = std::min(room, display_width(prefix) + kDbtLineWidth);
  const int gap = target - used;  // dots between the description and the result, as dbt pads
  const std::string dots = !right.empty() && gap >= 4 ? " " + std::string(static_cast<size_t>(gap - 1), '.') : "";
  const std::string_view tint = status_colour(line.status);
  std::string result = right;
  if (!right.empty() && colour && !tint.empty()) result = " " + paint(line.result, tint, true);
  return prefix + counter + paint(line.status, tint, colour) + " " + description + dots + result;
}

}  // namespace dagctl::cli
