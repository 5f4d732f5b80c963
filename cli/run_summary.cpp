#include "cli/run_summary.hpp"

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/text_width.hpp"

namespace dagctl::cli {

namespace {

// How many lines of one node's error the summary shows; `dagctl logs` has all of them.
constexpr size_t kErrorLinesPerNode = 4;
constexpr size_t kErrorMessageLines = 8;

std::string counts_text(const nlohmann::json& results) {
  std::string out;
  if (!results.is_object()) return out;
  for (const auto& [status, count] : results.items()) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", count.dump(), status);
  }
  return out;
}

std::string_view run_status_colour(const std::string& status) {
  if (status == "success") return "\033[32m";
  if (status == "failed" || status == "error") return "\033[31m";
  if (status == "partial" || status == "cancelled") return "\033[33m";
  return "";
}

std::string paint(const std::string& text, std::string_view colour, bool enabled) {
  return enabled && !colour.empty() ? fmt::format("{}{}\033[0m", colour, text) : text;
}

// The message's non-blank lines, trimmed, at most `limit` of them.
std::vector<std::string> message_lines(const std::string& message, size_t limit) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= message.size() && out.size() < limit) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::string line = message.substr(start, end - start);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) {
      line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
      out.push_back(line);
    }
    start = end + 1;
  }
  return out;
}

void add(std::vector<std::string>& lines, const std::string& text, const SummaryStyle& style,
         std::string_view first_indent, std::string_view indent) {
  for (auto& l : wrap_words(text, style.columns > 0 ? style.columns - 1 : 0, first_indent, indent)) {
    lines.push_back(std::move(l));
  }
}

}  // namespace

std::vector<std::string> run_summary_lines(const nlohmann::json& run, const nlohmann::json& node_results,
                                           const SummaryStyle& style) {
  std::vector<std::string> lines;
  const std::string status = run.value("status", "?");
  const std::string counts = counts_text(run.value("results", nlohmann::json()));
  add(lines,
      fmt::format("{} {} in {}{}", run.value("job_name", ""), paint(status, run_status_colour(status), style.colour),
                  format_duration(run.value("duration_seconds", nlohmann::json())),
                  counts.empty() ? "" : " (" + counts + ")"),
      style, "", "  ");
  bool listed = false;
  if (node_results.is_array()) {
    for (const auto& r : node_results) {
      const std::string s = r.value("status", "");
      if (s != "error" && s != "fail" && s != "runtime error") continue;
      const nlohmann::json text = r.value("message", nlohmann::json());
      const auto message = message_lines(text.is_string() ? text.get<std::string>() : "", kErrorLinesPerNode);
      add(lines,
          fmt::format("{} {}: {}", paint(s, "\033[31m", style.colour), r.value("unique_id", "?"),
                      message.empty() ? std::string("(no message)") : message.front()),
          style, "  ", "      ");
      for (size_t i = 1; i < message.size(); ++i) add(lines, message[i], style, "    ", "      ");
      listed = true;
    }
  }
  if (!listed && run.value("error_message", nlohmann::json()).is_string()) {
    for (const auto& line : message_lines(run["error_message"].get<std::string>(), kErrorMessageLines)) {
      add(lines, line, style, "  ", "    ");
    }
  }
  if (run.contains("nothing_selected") && run["nothing_selected"] == true) {
    add(lines, "nothing selected: dbt found no node matching the selection", style, "  ", "    ");
  }
  const std::string id = run.value("id", "");
  add(lines, fmt::format("run {}; output: dagctl logs {}", id, short_id(id)), style, "  ", "    ");
  return lines;
}

void print_run_summary(const Client& client, const nlohmann::json& run, std::FILE* out, const SummaryStyle& style) {
  nlohmann::json node_results;
  const std::string status = run.value("status", "");
  if (status == "failed" || status == "partial") {
    try {
      node_results = client.get("/api/v1/runs/" + url_encode(run.value("id", "")) + "/artifacts/run_results.json")
                         .value("results", nlohmann::json());
    } catch (const CliError&) {
      // No run_results.json: the run's error message says what happened.
    }
  }
  for (const auto& line : run_summary_lines(run, node_results, style)) {
    std::fputs((line + "\n").c_str(), out);
  }
  std::fflush(out);
}

}  // namespace dagctl::cli
