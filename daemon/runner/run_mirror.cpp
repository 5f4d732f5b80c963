#include "daemon/runner/run_mirror.hpp"

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

RunMirror::RunMirror(store::Store& store, std::string data_dir, ProgressOf progress, std::chrono::milliseconds every)
    : store_(store),
      data_dir_(std::move(data_dir)),
      progress_of_(std::move(progress)),
      every_(every),
      worker_("run mirror: copying runs' logs and progress into the store", [this] { return pass(); },
              store::log_to_spdlog) {}

RunMirror::~RunMirror() { stop(); }

void RunMirror::start() { worker_.start(); }

void RunMirror::stop() { worker_.stop(); }

void RunMirror::track(const std::string& run_id) {
  {
    std::lock_guard lock(mutex_);
    runs_.try_emplace(run_id);
  }
  worker_.wake();
}

void RunMirror::finish(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  while (ship_log(run_id, it->second, kPassBudget)) {
  }
  runs_.erase(it);
}

void RunMirror::drop(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  runs_.erase(run_id);
}

std::optional<common::Clock::time_point> RunMirror::pass() {
  // Progress first, without this mutex: the dispatcher calls finish() holding its own.
  std::map<std::string, std::string> progress;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, run] : runs_) progress[id];
  }
  for (auto& [id, text] : progress) {
    if (const auto p = progress_of_ ? progress_of_(id) : std::nullopt) text = to_stored(*p);
  }
  std::lock_guard lock(mutex_);
  bool more = false;
  for (auto& [id, run] : runs_) {
    more = ship_log(id, run, kPassBudget) || more;
    const auto it = progress.find(id);
    if (it != progress.end() && !it->second.empty() && it->second != run.progress) {
      store_.runs().record_progress(id, it->second);
      run.progress = it->second;
    }
  }
  if (runs_.empty()) return std::nullopt;  // track() wakes it
  return common::Clock::now() + (more ? std::chrono::milliseconds(0) : every_);
}

bool RunMirror::ship_log(const std::string& run_id, Tracked& run, std::uint64_t budget) {
  if (run.log_done) return false;
  std::ifstream file(common::DataDir(data_dir_).run_log(run_id), std::ios::binary);
  if (!file) return false;  // the run has not started writing it yet
  file.seekg(static_cast<std::streamoff>(run.shipped));
  std::vector<char> buffer(kChunkBytes);
  while (budget > 0 && run.shipped < kMaxStoredLogBytes) {
    const auto want = std::min<std::uint64_t>({kChunkBytes, budget, kMaxStoredLogBytes - run.shipped});
    file.read(buffer.data(), static_cast<std::streamsize>(want));
    const auto n = static_cast<std::size_t>(file.gcount());
    if (n == 0) return false;  // all of it is stored, for now
    if (!store_.logs().append(run_id, run.shipped, std::string_view(buffer.data(), n))) {
      run.log_done = true;  // not running here any more: another daemon ends it
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
  store_.logs().append(run_id, run.shipped, note);
  run.log_done = true;
  return false;
}

}  // namespace dagctl::daemon::runner
