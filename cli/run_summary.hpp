// The text summary of an ended run (docs/cli.md#watch-mode): status, duration, counts,
// each failed node with the first lines of its error, "nothing selected", and how to see
// the whole output. Wrapped at word boundaries to the width of a terminal.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/client.hpp"

namespace dagctl::cli {

struct SummaryStyle {
  int columns = 0;      // wrap to this width; 0: no wrapping (not a terminal)
  bool colour = false;
};

// The summary's lines for `run`, with `node_results` (run_results.json's "results", or
// null when there is none). Pure.
std::vector<std::string> run_summary_lines(const nlohmann::json& run, const nlohmann::json& node_results,
                                           const SummaryStyle& style);

// Fetches run_results.json for a failed run and prints the summary to `out`.
void print_run_summary(const Client& client, const nlohmann::json& run, std::FILE* out, const SummaryStyle& style);

}  // namespace dagctl::cli
