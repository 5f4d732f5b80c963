// Reads dbt's structured (JSON lines) log file as it grows and counts finished nodes,
// which is what `progress: {done, total}` shows while a run is running.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace dagctl::daemon::runner {

struct Progress {
  int done = 0;
  int total = 0;
};

// Pure line parser: feed it dbt JSON log lines in order.
class ProgressTracker {
public:
  void feed_line(std::string_view line);
  Progress current() const { return progress_; }

private:
  Progress progress_;
};

// Follows a file that another process appends to; reads only complete lines.
class LogFollower {
public:
  explicit LogFollower(std::string path) : path_(std::move(path)) {}
  // Feeds every complete line written since the last call. Cheap when nothing changed.
  void poll(ProgressTracker& tracker);

private:
  std::string path_;
  std::ifstream file_;
  std::string partial_;
};

}  // namespace dagctl::daemon::runner
