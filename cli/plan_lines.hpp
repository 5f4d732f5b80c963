// A SQLMesh plan's summary as `run show` prints it (docs/sqlmesh.md, Plans): one labelled
// line per kind of change, names joined and cut to fit. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dagctl::cli {

// Label and value pairs, in the order run show prints them; empty for a run without a plan.
// With `width`, each value lists the names that fit in that many columns (at least one).
std::vector<std::pair<std::string, std::string>> plan_lines(const nlohmann::json& plan,
                                                            std::optional<int> width = std::nullopt);

}  // namespace dagctl::cli
