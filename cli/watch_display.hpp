// What the CLI prints while it follows a run (docs/cli.md#watch-mode). On a terminal:
// finished nodes as dbt prints them (or, for `logs -f`, every line), fitted to the width,
// and below them one status line redrawn in place. Elsewhere: plain lines, no control
// characters. Thread-safe: the log stream feeds it from its thread, the following loop
// gives it the polled run and redraws.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace dagctl::cli {

struct DisplayOptions {
  bool print = true;       // false (-o json, --quiet): nothing on stdout while following
  bool terminal = false;   // stdout is a terminal: status line, fitted lines
  bool colour = false;
  bool whole_log = false;  // logs -f: every line of dbt's output, not only its node results
  int columns = 80;
};

class WatchDisplay {
public:
  explicit WatchDisplay(DisplayOptions options, std::FILE* out = stdout);
  ~WatchDisplay();
  WatchDisplay(const WatchDisplay&) = delete;
  WatchDisplay& operator=(const WatchDisplay&) = delete;

  void feed(std::string_view chunk);           // dbt's output as it arrives
  void set_run(const nlohmann::json& run);     // the run as last polled
  void tick();                                 // redraws the status line when it changed
  void resize(int columns);
  void note(const std::string& text);          // a line on stderr, above the status line
  void finish();                               // prints a last unfinished line, clears the status line

private:
  using SteadyClock = std::chrono::steady_clock;
  struct Started {
    std::string name;
    SteadyClock::time_point at;
  };

  void on_line(const std::string& text);
  void print_line(const std::string& text);  // a permanent line above the status line
  void clear_status();
  void draw_status();
  std::string status_text() const;

  DisplayOptions options_;
  std::FILE* out_;
  std::mutex mutex_;
  std::string buffer_;       // an unfinished line
  std::string drawn_;        // the status line on screen, "" when none
  nlohmann::json run_;
  SteadyClock::time_point polled_at_{};
  bool output_seen_ = false;
  int done_ = 0;
  int total_ = 0;
  std::map<int, Started> started_;  // nodes dbt started and has not finished, by its index
  bool finished_ = false;
};

}  // namespace dagctl::cli
