#include "cli/plan_lines.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dagctl::cli {

namespace {

// "a, b, c and 4 more": the first names, so that a plan of hundreds of models stays one line.
// `total`: the list's full length when the daemon kept only its start (the plan's `counts`).
std::string names_of(const nlohmann::json& list, size_t total) {
  constexpr size_t kShown = 5;
  std::string out;
  size_t count = 0;
  for (const auto& item : list) {
    const std::string name = item.is_string()                                   ? item.get<std::string>()
                             : item.is_object() && item.contains("model") && item["model"].is_string()
                                 ? item["model"].get<std::string>() +
                                       (item.value("intervals", nlohmann::json()).is_string()
                                            ? " (" + item["intervals"].get<std::string>() + ")"
                                            : std::string())
                                 : std::string();
    if (name.empty()) continue;
    if (count++ < kShown) out += (out.empty() ? "" : ", ") + name;
  }
  total = std::max(total, count);
  if (!out.empty() && total > std::min(count, kShown)) out += fmt::format(" and {} more", total - std::min(count, kShown));
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> plan_lines(const nlohmann::json& plan) {
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
    const std::string names =
        names_of(*it, total.is_number_unsigned() ? total.get<size_t>() : 0);
    if (!names.empty()) out.emplace_back(label, names);
  }
  if (out.size() == 1) out.emplace_back("changes", "none");
  return out;
}

}  // namespace dagctl::cli
