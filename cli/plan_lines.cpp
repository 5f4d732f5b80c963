#include "cli/plan_lines.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "cli/text_width.hpp"

namespace dagctl::cli {

namespace {

constexpr size_t kShown = 5;  // names per line at most, whatever the width

std::string name_of(const nlohmann::json& item) {
  if (item.is_string()) return item.get<std::string>();
  if (!item.is_object() || !item.contains("model") || !item["model"].is_string()) return "";
  const auto intervals = item.value("intervals", nlohmann::json());
  return item["model"].get<std::string>() + (intervals.is_string() ? " (" + intervals.get<std::string>() + ")" : "");
}

// "a, b, c and 4 more": the first names that fit in `width` columns (at least one), so that a
// plan of hundreds of models stays one line. `total`: the list's full length when the daemon
// kept only its start (the plan's `counts`).
std::string names_of(const nlohmann::json& list, size_t total, std::optional<int> width) {
  std::vector<std::string> names;
  for (const auto& item : list) {
    if (std::string name = name_of(item); !name.empty()) names.push_back(std::move(name));
  }
  total = std::max(total, names.size());
  std::string out;
  size_t shown = 0;
  for (; shown < names.size() && shown < kShown; ++shown) {
    std::string next = out + (shown ? ", " : "") + names[shown];
    const size_t left = total - shown - 1;
    const std::string more = left ? fmt::format(" and {} more", left) : "";
    if (shown > 0 && width && display_width(next + more) > *width) break;
    out = std::move(next);
  }
  if (!out.empty() && shown < total) out += fmt::format(" and {} more", total - shown);
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> plan_lines(const nlohmann::json& plan, std::optional<int> width) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!plan.is_object()) return out;
  const auto environment = plan.value("environment", nlohmann::json());
  const auto applied = plan.value("applied", nlohmann::json());
  out.emplace_back("plan", fmt::format("{}{}", environment.is_string() ? environment.get<std::string>() : "?",
                                       applied.is_boolean() ? (applied.get<bool>() ? ", applied" : ", not applied") : ""));
  const std::pair<const char*, const char*> kinds[] = {{"added", "added"},
                                                       {"removed", "removed"},
                                                       {"directly_modified", "modified"},
                                                       {"indirectly_modified", "indirectly"},
                                                       {"metadata_updated", "metadata"},
                                                       {"backfill", "backfill"}};
  for (const auto& [key, label] : kinds) {
    const auto it = plan.find(key);
    if (it == plan.end() || !it->is_array() || it->empty()) continue;
    const auto counts = plan.value("counts", nlohmann::json::object());
    const auto total = counts.is_object() ? counts.value(key, nlohmann::json()) : nlohmann::json();
    const bool counted = total.is_number_integer() && total.get<std::int64_t>() > 0;
    const std::string names = names_of(*it, counted ? static_cast<size_t>(total.get<std::int64_t>()) : 0, width);
    if (!names.empty()) out.emplace_back(label, names);
  }
  if (out.size() == 1) out.emplace_back("changes", "none");
  return out;
}

}  // namespace dagctl::cli
