#include "cli/run_nodes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "cli/context.hpp"
#include "cli/text_width.hpp"

namespace dagctl::cli {

namespace {

// The order node_counts are shown in: successes first, then what went wrong.
constexpr std::array<std::string_view, 9> kStatusOrder = {"success", "pass",    "warn",    "error",      "fail",
                                                           "skipped", "no-op", "running", "interrupted"};

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// dbt names its threads "Thread-1 (worker)": the number is what tells rows apart.
std::string thread_label(const nlohmann::json& thread) {
  const std::string text = text_of(thread);
  return text.substr(0, text.find(" ("));
}

// The narrowest a node name gets before the message is cut too.
constexpr size_t kMinNameColumns = 16;

// On a narrow terminal the node names give way first, down to kMinNameColumns, so that
// the message (the reason a node failed) keeps the room there is; fit_table then cuts the
// wider of the two.
void shorten_names(std::vector<std::vector<std::string>>& rows, size_t width) {
  const size_t name = 1, message = rows.front().size() - 1;
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], static_cast<size_t>(display_width(row[i])));
  }
  size_t others = 2 * (widths.size() - 1);
  for (size_t i = 0; i < widths.size(); ++i) others += (i == name || i == message) ? 0 : widths[i];
  if (others + widths[name] + widths[message] <= width) return;
  const size_t room = width > others ? width - others : 0;
  const size_t names = std::max(kMinNameColumns, room > widths[message] ? room - widths[message] : 0);
  if (names >= widths[name]) return;
  for (size_t r = 1; r < rows.size(); ++r) rows[r][name] = fit_to_width(rows[r][name], static_cast<int>(names));
}

}  // namespace

// dbt opens an error with "Runtime Error in model fct_sales (models/fct_sales.sql)": the
// NODE column says as much, so the cause on the next line is what the row shows.
bool is_error_heading(std::string_view line) {
  const auto in = line.find(" Error in ");
  return (in != std::string_view::npos || line.rfind("Error in ", 0) == 0) && !line.empty() && line.back() == ')';
}

std::string first_message_line(const nlohmann::json& message) {
  if (!message.is_string()) return "";
  const std::string_view text = message.get_ref<const std::string&>();
  std::string heading;
  size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    auto line = trim(text.substr(start, end - start));
    if (!line.empty()) {
      if (!heading.empty() || !is_error_heading(line)) return line;
      heading = std::move(line);
    }
    start = end + 1;
  }
  return heading;
}

std::vector<std::string> node_table(const nlohmann::json& answer, std::optional<size_t> width) {
  const auto& nodes = field(answer, "nodes");
  if (!nodes.is_array() || nodes.empty()) return {};
  const bool threads = std::any_of(nodes.begin(), nodes.end(), [](const auto& n) { return field(n, "thread").is_string(); });
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"STATUS", "NODE", "DURATION"});
  if (threads) rows.back().push_back("THREAD");
  rows.back().push_back("MESSAGE");
  for (const auto& n : nodes) {
    std::vector<std::string> row = {text_field(n, "status"), text_field(n, "name"),
                                    format_duration(field(n, "execution_time"))};
    if (threads) row.push_back(thread_label(field(n, "thread")));
    row.push_back(first_message_line(field(n, "message")));
    rows.push_back(std::move(row));
  }
  // The node's name and its message give way; status, time and thread stay.
  if (width) shorten_names(rows, *width);
  const size_t message = rows.front().size() - 1;
  return fit_table(rows, {1, message}, width);
}

std::vector<std::pair<std::string, std::string>> node_summary(const nlohmann::json& run, std::optional<int> width) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& counts = field(run, "node_counts");
  if (counts.is_object() && !counts.empty()) {
    std::vector<std::string> keys;
    for (const auto& status : kStatusOrder) {
      if (counts.contains(std::string(status))) keys.emplace_back(status);
    }
    for (auto it = counts.begin(); it != counts.end(); ++it) {  // statuses this CLI does not know yet
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
    }
    std::string text;
    int total = 0;
    for (const auto& key : keys) {
      const auto& n = field(counts, key);
      if (n.is_number_integer()) total += n.get<int>();
      text += fmt::format("{}{} {}", text.empty() ? "" : ", ", text_of(n), key);
    }
    out.emplace_back("nodes", fmt::format("{} ({})", total, text));
  }
  const auto& slowest = field(run, "slowest_nodes");
  if (slowest.is_array() && !slowest.empty()) {
    std::string text;
    for (const auto& n : slowest) {
      std::string next = fmt::format("{}{} {}", text.empty() ? "" : ", ", text_field(n, "name"),
                                     format_duration(field(n, "execution_time")));
      if (!text.empty() && width && display_width(text + next) > *width) break;
      text += next;
    }
    out.emplace_back("slowest", text);
  }
  return out;
}

}  // namespace dagctl::cli
