#include "cli/run_nodes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "cli/context.hpp"

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

}  // namespace

std::string first_message_line(const nlohmann::json& message) {
  if (!message.is_string()) return "";
  const std::string_view text = message.get_ref<const std::string&>();
  size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    auto line = trim(text.substr(start, end - start));
    if (!line.empty()) return line;
    start = end + 1;
  }
  return "";
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
    if (threads) row.push_back(text_field(n, "thread"));
    row.push_back(first_message_line(field(n, "message")));
    rows.push_back(std::move(row));
  }
  // The node's name and its message give way, widest first; status, time and thread stay.
  const size_t message = rows.front().size() - 1;
  return fit_table(rows, {1, message}, width);
}

std::vector<std::pair<std::string, std::string>> node_summary(const nlohmann::json& run) {
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
      text += fmt::format("{}{} {}", text.empty() ? "" : ", ", text_field(n, "name"),
                          format_duration(field(n, "execution_time")));
    }
    out.emplace_back("slowest", text);
  }
  return out;
}

}  // namespace dagctl::cli
