// What `dagctl run show` prints of a run's dbt nodes (docs/cli.md, Run details): the node
// table of `--nodes`, and the counts and slowest nodes under a run. Pure functions of the
// daemon's JSON, so that the tables are tested at any width.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dagctl::cli {

// The first line of a node's message that is not blank, trimmed; "" for none.
std::string first_message_line(const nlohmann::json& message);

// The lines of the node table for GET /runs/{id}/nodes's answer, fitted to `width`
// (nullopt: nothing cut). STATUS, NODE, DURATION, THREAD (when a node has one) and MESSAGE
// (the first line of each node's message), in the answer's order. Empty without nodes.
std::vector<std::string> node_table(const nlohmann::json& answer, std::optional<size_t> width);

// The `run show` lines a run's node_counts and slowest_nodes give ({label, value}); none
// when the run has neither (an older daemon) or no nodes. With `width`, `slowest` lists the
// nodes that fit in that many columns (at least one): SQLMesh's model names are long.
std::vector<std::pair<std::string, std::string>> node_summary(const nlohmann::json& run,
                                                              std::optional<int> width = std::nullopt);

}  // namespace dagctl::cli
