#include "daemon/runner/progress.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>

namespace dagctl::daemon::runner {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::queued: return "queued";
    case Phase::starting: return "starting";
    case Phase::parsing: return "parsing";
    case Phase::running: return "running";
    case Phase::finishing: return "finishing";
  }
  return "starting";
}

std::string to_stored(const Progress& p) {
  nlohmann::json running = nlohmann::json::array();
  for (const auto& n : p.running) {
    running.push_back({{"unique_id", n.unique_id}, {"name", n.name}, {"resource_type", n.resource_type},
                       {"started_at", common::to_millis(n.started_at)}});
  }
  return nlohmann::json{{"phase", to_string(p.phase)}, {"done", p.done}, {"total", p.total}, {"running", running}}
      .dump();
}

std::optional<Progress> progress_from_stored(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    Progress p;
    const auto phase = j.at("phase").get<std::string>();
    bool known = false;
    for (const Phase each : {Phase::starting, Phase::parsing, Phase::running, Phase::finishing}) {
      if (phase == to_string(each)) p.phase = each, known = true;
    }
    if (!known) return std::nullopt;
    p.done = j.at("done").get<int>();
    p.total = j.at("total").get<int>();
    for (const auto& n : j.at("running")) {
      p.running.push_back({n.at("unique_id").get<std::string>(), n.at("name").get<std::string>(),
                           n.at("resource_type").get<std::string>(),
                           common::from_millis(n.at("started_at").get<std::int64_t>())});
    }
    return p;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

namespace {

using nlohmann::json;

// The dbt events (dbt/events/types.py) that move a run along, each quoted as it appears in a
// JSON line. "total" is the node count of LogStartLine and the Log*Result events.
constexpr std::array<std::string_view, 9> kWanted = {
    R"("total")",           R"("NodeStart")",          R"("NodeFinished")",
    R"("FoundStats")",      R"("ConcurrencyLine")",    R"("FinishedRunningStats")",
    R"("EndRunResult")",    R"("NothingToDo")",        R"("CommandCompleted")"};

bool wanted(std::string_view line) {
  return std::any_of(kWanted.begin(), kWanted.end(),
                     [&](std::string_view w) { return line.find(w) != std::string_view::npos; });
}

std::optional<common::TimePoint> dbt_time_of(const json& value) {
  if (!value.is_string()) return std::nullopt;
  return runner::parse_dbt_time(value.get_ref<const std::string&>());
}

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* object_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

std::optional<common::TimePoint> parse_dbt_time(std::string_view text) {
  if (text.size() < 19) return std::nullopt;
  auto t = common::parse_rfc3339(std::string(text.substr(0, 19)) + "Z");
  if (!t) return std::nullopt;
  if (text.size() >= 23 && text[19] == '.') {
    int ms = 0;
    for (size_t i = 20; i < 23; ++i) {
      if (text[i] < '0' || text[i] > '9') return t;
      ms = ms * 10 + (text[i] - '0');
    }
    *t += std::chrono::milliseconds(ms);
  }
  return t;
}

void ProgressTracker::advance(Phase phase) {
  if (phase > progress_.phase) progress_.phase = phase;
}

void ProgressTracker::node_started(RunningNode node) {
  if (progress_.phase == Phase::finishing) return;
  auto& running = progress_.running;
  if (std::any_of(running.begin(), running.end(), [&](const RunningNode& n) { return n.unique_id == node.unique_id; })) {
    return;
  }
  const auto at = std::upper_bound(running.begin(), running.end(), node.started_at,
                                   [](common::TimePoint t, const RunningNode& n) { return t < n.started_at; });
  running.insert(at, std::move(node));
}

void ProgressTracker::node_finished(const std::string& unique_id) {
  std::erase_if(progress_.running, [&](const RunningNode& n) { return n.unique_id == unique_id; });
}

void ProgressTracker::feed_line(std::string_view line) {
  // Cheap filter first: most lines are debug chatter (SQL, connections) we do not need to
  // parse. Until dbt has logged anything, any line says it started.
  if (progress_.phase != Phase::starting && !wanted(line)) return;
  const auto event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return;
  const json* info = object_at(event, "info");
  const json* data = object_at(event, "data");
  if (!info || !data) return;
  const auto name_it = info->find("name");
  if (name_it == info->end() || !name_it->is_string()) return;
  const auto& name = name_it->get_ref<const std::string&>();
  advance(Phase::parsing);

  if (const auto total = data->find("total"); total != data->end() && total->is_number_integer()) {
    progress_.total = std::max(progress_.total, total->get<int>());
  }
  if (name == "FoundStats") {
    advance(Phase::running);
  } else if (name == "ConcurrencyLine") {
    advance(Phase::running);
    if (const auto n = data->find("node_count"); n != data->end() && n->is_number_integer()) {
      progress_.total = std::max(progress_.total, n->get<int>());
    }
  } else if (name == "NodeStart" || name == "NodeFinished") {
    const json* node = object_at(*data, "node_info");
    const std::string unique_id = node ? string_at(*node, "unique_id") : std::string();
    if (name == "NodeFinished") {
      ++progress_.done;
      progress_.total = std::max(progress_.total, progress_.done);
      node_finished(unique_id);
      return;
    }
    advance(Phase::running);
    if (unique_id.empty()) return;
    auto started = dbt_time_of(info->value("ts", json()));
    if (!started) started = dbt_time_of(node->value("node_started_at", json()));
    node_started({unique_id, string_at(*node, "node_name"), string_at(*node, "resource_type"),
                  started.value_or(common::now())});
  } else if (name == "FinishedRunningStats" || name == "EndRunResult" || name == "NothingToDo" ||
             name == "CommandCompleted") {
    advance(Phase::finishing);
    progress_.running.clear();  // a node cut short by an exception never logs NodeFinished
  }
}

void LogFollower::poll(ProgressTracker& tracker) {
  poll([&tracker](std::string_view line) { tracker.feed_line(line); });
}

void LogFollower::poll(const std::function<void(std::string_view line)>& feed) {
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
      feed(std::string_view(partial_).substr(start, nl - start));
    }
    partial_.erase(0, start);
    if (file_.eof()) break;
  }
}

}  // namespace dagctl::daemon::runner
