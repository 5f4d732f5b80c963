#include "daemon/runner/log_shipper.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "common/data_dir.hpp"
#include "daemon/store/retry.hpp"

namespace dagctl::daemon::runner {

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;       // one row of run_log_chunks at most
constexpr std::uint64_t kPassBudget = 4 * kChunkBytes;  // per run and pass: a chatty run cannot starve the others

}  // namespace

LogShipper::LogShipper(store::LogStore& logs, std::string data_dir, std::chrono::milliseconds every)
    : logs_(logs),
      data_dir_(std::move(data_dir)),
      every_(every),
      worker_("log shipper: copying runs' logs into the store", [this] { return pass(); }, store::log_to_spdlog) {}

LogShipper::~LogShipper() { stop(); }

void LogShipper::start() { worker_.start(); }

void LogShipper::stop() { worker_.stop(); }

void LogShipper::track(const std::string& run_id) {
  {
    std::lock_guard lock(mutex_);
    runs_.try_emplace(run_id);
  }
  worker_.wake();
}

void LogShipper::finish(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  while (ship(run_id, it->second, kPassBudget)) {
  }
  runs_.erase(it);
}

void LogShipper::drop(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  runs_.erase(run_id);
}

std::optional<common::Clock::time_point> LogShipper::pass() {
  std::lock_guard lock(mutex_);
  bool more = false;
  for (auto& [id, run] : runs_) more = ship(id, run, kPassBudget) || more;
  if (runs_.empty()) return std::nullopt;  // track() wakes it
  return common::Clock::now() + (more ? std::chrono::milliseconds(0) : every_);
}

bool LogShipper::ship(const std::string& run_id, Tracked& run, std::uint64_t budget) {
  if (run.done) return false;
  std::ifstream file(common::DataDir(data_dir_).run_log(run_id), std::ios::binary);
  if (!file) return false;  // the run has not started writing it yet
  file.seekg(static_cast<std::streamoff>(run.shipped));
  std::vector<char> buffer(kChunkBytes);
  while (budget > 0 && run.shipped < kMaxStoredLogBytes) {
    const auto want = std::min<std::uint64_t>({kChunkBytes, budget, kMaxStoredLogBytes - run.shipped});
    file.read(buffer.data(), static_cast<std::streamsize>(want));
    const auto n = static_cast<std::size_t>(file.gcount());
    if (n == 0) return false;  // all of it is stored, for now
    if (!logs_.append(run_id, run.shipped, std::string_view(buffer.data(), n))) {
      run.done = true;  // not running here any more: another daemon ends it
      return false;
    }
    run.shipped += n;
    budget -= n;
    if (n < want) return false;
  }
  if (run.shipped < kMaxStoredLogBytes) return true;
  // One line says where the rest is, at the byte it would have started.
  const std::string note = fmt::format(
      "\n[dagctl: the store keeps the first {} MiB of a run's log; the rest is in output.log on the daemon "
      "that ran it (docs/limits.md)]\n", kMaxStoredLogBytes >> 20);
  logs_.append(run_id, run.shipped, note);
  run.done = true;
  return false;
}

}  // namespace dagctl::daemon::runner
