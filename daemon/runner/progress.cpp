#include "daemon/runner/progress.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace dagctl::daemon::runner {

void ProgressTracker::feed_line(std::string_view line) {
  // Cheap filter first: most lines are debug chatter we do not need to parse.
  if (line.find("\"total\"") == std::string_view::npos &&
      line.find("NodeFinished") == std::string_view::npos) {
    return;
  }
  const auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return;
  const auto info = event.contains("info") ? event["info"] : nlohmann::json::object();
  const auto data = event.contains("data") ? event["data"] : nlohmann::json::object();
  if (!info.is_object() || !data.is_object()) return;
  if (data.contains("total") && data["total"].is_number_integer()) {
    progress_.total = std::max(progress_.total, data["total"].get<int>());
  }
  const auto name = info.find("name");
  if (name != info.end() && name->is_string() && name->get<std::string>() == "NodeFinished") {
    ++progress_.done;
    progress_.total = std::max(progress_.total, progress_.done);
  }
}

void LogFollower::poll(ProgressTracker& tracker) {
  if (!file_.is_open()) {
    file_.open(path_, std::ios::binary);
    if (!file_.is_open()) return;  // dbt has not created it yet
  }
  file_.clear();  // forget the previous EOF so we see what was appended since
  char buffer[64 * 1024];
  while (file_.read(buffer, sizeof buffer) || file_.gcount() > 0) {
    partial_.append(buffer, static_cast<size_t>(file_.gcount()));
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      tracker.feed_line(std::string_view(partial_).substr(start, nl - start));
    }
    partial_.erase(0, start);
    if (file_.eof()) break;
  }
}

}  // namespace dagctl::daemon::runner
