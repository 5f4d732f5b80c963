#include "daemon/runner/retention.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <vector>

#include "daemon/store/retry.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon::runner {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRetentionLease = "retention";

// Deleting a transaction's worth at a time keeps the write lock short under a big backlog.
constexpr int kBatch = 500;

// Ids are ours (UUIDs), but a name that could climb out of the folder is never joined.
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// Removes the folders under `parent` that `unknown` says have no row. Lists first and asks
// after, so a folder made meanwhile belongs to a row that is already there.
template <typename Unknown>
int remove_strays(const fs::path& parent, Unknown unknown) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(parent, ec)) names.push_back(entry.path().filename().string());
  if (names.empty()) return 0;
  int removed = 0;
  for (const auto& name : unknown(names)) {
    if (!plain_name(name)) continue;
    fs::remove_all(parent / name, ec);  // never follows a symlink out of the folder
    if (ec) {
      spdlog::warn("retention: cannot remove {}: {}", (parent / name).string(), ec.message());
    } else {
      ++removed;
    }
  }
  return removed;
}

}  // namespace

Retention::Retention(store::Store& store, common::DataDir data_dir, RetentionPolicy policy,
                     std::chrono::milliseconds interval, std::string daemon_id)
    : store_(store),
      data_dir_(std::move(data_dir)),
      policy_(policy),
      interval_(interval),
      daemon_id_(std::move(daemon_id)),
      worker_("retention: a pass", [this] { return pass(); }, store::log_to_spdlog) {}

Retention::~Retention() { shutdown(); }

PruneReport Retention::prune(common::TimePoint now) {
  PruneReport report;
  std::optional<common::TimePoint> ended_before;
  if (policy_.keep_days > 0) ended_before = now - std::chrono::hours(24) * policy_.keep_days;
  // Held for the pass and given back after it: a pass that dies keeps it for this long. (Two
  // passes at once would still be safe, each batch is a transaction; the lease saves the work.)
  constexpr auto kLease = std::chrono::minutes(10);
  if ((ended_before || policy_.keep_runs > 0) &&
      store_.leases().try_acquire(kRetentionLease, daemon_id_, kLease, now)) {
    for (;;) {
      const auto ids = store_.runs().prune(ended_before, policy_.keep_runs, kBatch);
      for (const auto& id : ids) {
        std::error_code ec;
        if (plain_name(id)) fs::remove_all(data_dir_.run(id), ec);
      }
      report.runs += static_cast<int>(ids.size());
      if (ids.size() < static_cast<size_t>(kBatch) || worker_.stopping()) break;  // a stop waits one batch at most
    }
    store_.leases().release(kRetentionLease, daemon_id_);
  }
  report.stray_folders =
      remove_strays(data_dir_.runs(), [&](const auto& names) { return store_.runs().unknown_ids(names); }) +
      remove_strays(data_dir_.projects(),
                    [&](const auto& names) { return store_.projects().unknown_ids(names); }) +
      remove_strays(data_dir_.warm(),  // a deleted project's worker folder (its worker exits when idle)
                    [&](const auto& names) { return store_.projects().unknown_ids(names); });
  return report;
}

void Retention::start() { worker_.start(); }

void Retention::wake() { worker_.wake(); }

void Retention::shutdown() { worker_.stop(); }

std::optional<common::Clock::time_point> Retention::pass() {
  try {
    const PruneReport r = prune(common::now());
    if (r.runs > 0 || r.stray_folders > 0) {
      spdlog::info("retention: pruned {} run(s) (kept: {} day(s), {} run(s) per job; 0 = no bound), "
                   "removed {} stray folder(s)",
                   r.runs, policy_.keep_days, policy_.keep_runs, r.stray_folders);
    }
  } catch (const std::exception& e) {
    // A locked database or a full disk now is no reason to wait an hour: thrown, the worker
    // tries again with back-off. Anything else would fail the same way at once: the next
    // pass is at the interval.
    if (store::is_transient(e)) throw;
    spdlog::warn("retention: a pass failed: {}; the next one is in {} s", e.what(),
                 std::chrono::duration_cast<std::chrono::seconds>(interval_).count());
  }
  return common::Clock::now() + interval_;
}

}  // namespace dagctl::daemon::runner
