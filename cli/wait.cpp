#include "cli/wait.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "common/run_status.hpp"

namespace dagctl::cli {

namespace {

// Recognises dbt's per-node result lines, e.g.
// "02:15:19  4 of 30 OK loaded seed file main.stores ....... [INSERT 3 in 0.16s]".
class ProgressPrinter {
public:
  explicit ProgressPrinter(bool enabled) : enabled_(enabled), tty_(::isatty(STDOUT_FILENO)) {}
  ~ProgressPrinter() { finish(); }

  void feed(std::string_view chunk) {
    if (!enabled_) return;
    buffer_.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
      line(buffer_.substr(start, nl - start));
    }
    buffer_.erase(0, start);
  }

  void finish() {
    if (tty_ && drawn_) std::fputs("\r\033[K", stdout);
    drawn_ = false;
    std::fflush(stdout);
  }

private:
  void line(const std::string& text) {
    static const std::regex kNode(R"(^\S*\s+(\d+) of (\d+) (\S+) (.*?)\s*\.*\s*(\[.*\])?\s*$)");
    std::smatch m;
    if (!std::regex_search(text, m, kNode) || m[3] == "START") return;
    ++done_;
    total_ = std::stoi(m[2]);
    const std::string what = m[3].str() + " " + m[4].str() + (m[5].matched ? " " + m[5].str() : "");
    if (tty_) {
      std::string shown = fmt::format("[{}/{}] {}", done_, total_, what);
      if (shown.size() > 100) shown = shown.substr(0, 97) + "...";
      std::fputs(("\r\033[K" + shown).c_str(), stdout);
      drawn_ = true;
    } else {
      std::fputs(fmt::format("[{}/{}] {}\n", done_, total_, what).c_str(), stdout);
    }
    std::fflush(stdout);
  }

  bool enabled_;
  bool tty_;
  bool drawn_ = false;
  int done_ = 0;
  int total_ = 0;
  std::string buffer_;
};

std::string counts_text(const nlohmann::json& results) {
  std::string out;
  if (!results.is_object()) return out;
  for (const auto& [status, count] : results.items()) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", count.dump(), status);
  }
  return out;
}

}  // namespace

void print_run_summary(const Client& client, const nlohmann::json& run, std::FILE* out) {
  const std::string status = run.value("status", "?");
  const std::string counts = counts_text(run["results"]);
  std::fputs(fmt::format("{} {} in {}{}\n", run.value("job_name", ""), status,
                         format_duration(run["duration_seconds"]),
                         counts.empty() ? "" : " (" + counts + ")")
                 .c_str(),
             out);
  // The failing nodes with their messages, from dbt's own results.
  bool listed = false;
  if (status == "failed" || status == "partial") {
    try {
      const auto results = client.get("/api/v1/runs/" + url_encode(run["id"]) + "/artifacts/run_results.json");
      for (const auto& r : results.value("results", nlohmann::json::array())) {
        const std::string s = r.value("status", "");
        if (s != "error" && s != "fail" && s != "runtime error") continue;
        std::string message = r["message"].is_string() ? r["message"].get<std::string>() : "";
        if (const auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
        std::fputs(fmt::format("  {} {}: {}\n", s, r.value("unique_id", "?"), message).c_str(), out);
        listed = true;
      }
    } catch (const CliError&) {
      // No run_results.json: the error message below says what happened.
    }
  }
  if (!listed && run["error_message"].is_string()) {
    std::fputs(fmt::format("  {}\n", run["error_message"].get<std::string>()).c_str(), out);
  }
  std::fputs(fmt::format("  run {}; output: dagctl logs {}\n", run.value("id", ""), run.value("id", "")).c_str(), out);
}

int wait_for_run(const Context& ctx, const std::string& run_id, const WaitOptions& options) {
  const Client client = ctx.client();
  const std::string run_path = "/api/v1/runs/" + url_encode(run_id);
  {
    ProgressPrinter progress(!ctx.json() && !options.quiet);
    // The log stream ends when the run does; it is also how progress arrives.
    client.stream(run_path + "/logs?follow=true", [&](std::string_view chunk) { progress.feed(chunk); });
  }
  nlohmann::json run = client.get(run_path);
  // The stream can end early (the daemon stopped): wait for a terminal status anyway.
  for (auto status = common::parse_run_status(run.value("status", ""));
       status && !common::is_terminal(*status);
       status = common::parse_run_status(run.value("status", ""))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    run = client.get(run_path);
  }
  const auto status = common::parse_run_status(run.value("status", "")).value_or(common::RunStatus::error);
  const int code = common::exit_code_for(status);
  if (ctx.json()) {
    print_json(run);
  } else if (!options.quiet || code != 0) {
    print_run_summary(client, run, options.quiet ? stderr : stdout);
  }
  return code;
}

}  // namespace dagctl::cli
