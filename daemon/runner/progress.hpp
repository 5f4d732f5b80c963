// What a run is doing (docs/runs.md, Progress): its phase, the nodes done and in flight,
// read from dbt's structured (JSON lines) log file as it grows, and for a queued run what
// it waits for.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"

namespace dagctl::daemon::runner {

// In order: a run only moves forward.
enum class Phase { queued, starting, parsing, running, finishing };
const char* to_string(Phase phase);

// A node dbt started and has not finished.
struct RunningNode {
  std::string unique_id;      // "model.shop.stg_orders"
  std::string name;           // "stg_orders"
  std::string resource_type;  // "model", "test", "seed"...
  common::TimePoint started_at{};
  bool operator==(const RunningNode&) const = default;
};

struct Progress {
  int done = 0;
  int total = 0;  // 0 until dbt has said
  Phase phase = Phase::starting;
  std::vector<RunningNode> running{};  // oldest first
  // Queued runs only.
  std::optional<std::string> waiting_for{};
  std::optional<std::string> queued_behind{};  // the run that holds the project
  bool operator==(const Progress&) const = default;
};

// A running run's progress as the store keeps it for the other daemons sharing it
// (docs/scale-out.md#logs-and-artifacts), and back; nullopt for text that is not one.
std::string to_stored(const Progress& progress);
std::optional<Progress> progress_from_stored(std::string_view text);

// dbt's times: info.ts "2026-12-06T21:25:41.897326Z", node_started_at
// "2026-12-06T21:25:41.897160" (UTC without the Z). Milliseconds are kept.
std::optional<common::TimePoint> parse_dbt_time(std::string_view text);

// Pure line parser: feed it dbt JSON log lines in order.
class ProgressTracker {
public:
  void feed_line(std::string_view line);
  const Progress& current() const { return progress_; }

private:
  void advance(Phase phase);
  void node_started(RunningNode node);
  void node_finished(const std::string& unique_id);

  Progress progress_;
};

// Follows a file that another process appends to; reads only complete lines.
class LogFollower {
public:
  explicit LogFollower(std::string path) : path_(std::move(path)) {}
  // Feeds every complete line written since the last call. Cheap when nothing changed.
  void poll(ProgressTracker& tracker);
  void poll(const std::function<void(std::string_view line)>& feed);

private:
  std::string path_;
  std::ifstream file_;
  std::string partial_;
};

}  // namespace dagctl::daemon::runner
