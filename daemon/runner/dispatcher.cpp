#include "daemon/runner/dispatcher.hpp"

#include <malloc.h>

#include <spdlog/spdlog.h>

namespace dagctl::daemon::runner {

Dispatcher::Dispatcher(store::Store& store, RunExecutor& executor, int max_parallel,
                       webhooks::Outbox* outbox)
    : store_(store), executor_(executor), max_parallel_(std::max(1, max_parallel)), outbox_(outbox) {}

bool Dispatcher::finish(const std::string& run_id, const Outcome& outcome) {
  store::Store::DeliveryOwed owed;
  if (outbox_) {
    if (const auto run = store_.find_run(run_id)) owed = outbox_->owed_for(*run);
  }
  const bool done = store_.finish_run(run_id, outcome.status, common::now(), outcome.exit_code,
                                      outcome.error_message, outcome.results, owed);
  if (done && outbox_) outbox_->notify();
  if (done) run_ends_.notify();
  return done;
}

Dispatcher::~Dispatcher() { shutdown(); }

void Dispatcher::start() { loop_thread_ = std::thread([this] { loop(); }); }

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    wake_pending_ = true;
  }
  changed_.notify_all();
}

bool Dispatcher::cancel(const std::string& run_id) {
  bool done = false;
  {
    // Held across the store update: the loop marks runs running under this mutex, so a
    // queued run is either cancelled here or seen in active_, never neither.
    std::lock_guard lock(mutex_);
    if (auto it = active_.find(run_id); it != active_.end()) {
      it->second.control->request_stop(StopReason::cancelled);
      return true;
    }
    Outcome cancelled;
    cancelled.status = common::RunStatus::cancelled;
    cancelled.error_message = "cancelled by request before it started";
    done = finish(run_id, cancelled);
  }
  if (done) wake();
  return done;
}

std::optional<Progress> Dispatcher::progress(const std::string& run_id) const {
  std::lock_guard lock(mutex_);
  const auto it = active_.find(run_id);
  if (it == active_.end()) return std::nullopt;
  return it->second.progress;
}

void Dispatcher::shutdown() {
  {
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, a] : active_) a.control->request_stop(StopReason::daemon_stopped);
  }
  changed_.notify_all();
  if (loop_thread_.joinable()) loop_thread_.join();
}

void Dispatcher::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return wake_pending_ || stopping_; });
    // Consumed before anything unlocks: a run that ends while this pass joins threads or
    // asks the store sets it again, and the loop comes round once more. (Cleared after the
    // join, such an end was lost and its project's queue stalled.)
    wake_pending_ = false;
    const size_t ended = join_finished(lock);
    if (stopping_) break;
    start_due_runs(lock);
    if (ended > 0 && active_.empty()) {
      // Idle now: hand the memory freed by the runs' threads back to the system, or the
      // idle daemon keeps its peak heap (docs/benchmarks.md, idle RSS after work).
      lock.unlock();
      ::malloc_trim(0);
      lock.lock();
    }
  }
  // Shutdown: wait for every running run to end (each was asked to stop).
  changed_.wait(lock, [this] {
    for (const auto& [id, a] : active_) {
      if (!a.finished) return false;
    }
    return true;
  });
  join_finished(lock);
}

size_t Dispatcher::join_finished(std::unique_lock<std::mutex>& lock) {
  std::vector<std::thread> done;
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second.finished) {
      done.push_back(std::move(it->second.thread));
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  lock.unlock();
  for (auto& t : done) t.join();
  lock.lock();
  return done.size();
}

void Dispatcher::start_due_runs(std::unique_lock<std::mutex>& lock) {
  // A run cancelled between the query and mark_running leaves its project free: ask again.
  for (bool again = true; again && !stopping_;) {
    again = false;
    const int free_slots = max_parallel_ - static_cast<int>(active_.size());
    if (free_slots <= 0) return;
    // A later run of a busy project waits too: each project's queue keeps its order.
    std::set<std::string> busy_projects;
    for (const auto& [id, a] : active_) busy_projects.insert(a.project_id);

    lock.unlock();
    const auto due = store_.next_queued_runs(busy_projects, free_slots);
    lock.lock();
    for (const auto& run : due) {
      if (stopping_ || static_cast<int>(active_.size()) >= max_parallel_) return;
      if (!store_.mark_running(run.id, common::now())) {  // cancelled meanwhile
        again = true;
        continue;
      }
      Active& a = active_[run.id];
      a.project_id = run.project_id;
      a.control = std::make_unique<RunControl>();
      RunControl* control = a.control.get();
      a.thread = std::thread([this, id = run.id, control] { execute(id, *control); });
    }
  }
}

void Dispatcher::execute(const std::string& run_id, RunControl& control) {
  Outcome outcome;
  try {
    auto run = store_.find_run(run_id);
    auto job = run ? store_.find_job(run->job_id) : std::nullopt;
    auto project = run ? store_.find_project(run->project_id) : std::nullopt;
    if (!run || !job || !project) throw std::runtime_error("the run's job or project was deleted");
    spdlog::info("run {} started: {} ({})", run_id, run->command, project->name);
    RunCallbacks callbacks;
    callbacks.on_started = [&](int pid, std::int64_t ticks) {
      store_.record_process(run_id, pid, ticks);
    };
    callbacks.on_progress = [&](Progress p) {
      std::lock_guard lock(mutex_);
      active_[run_id].progress = p;
    };
    outcome = executor_.execute({*run, *project, *job}, control, callbacks);
  } catch (const std::exception& e) {
    spdlog::error("run {} failed inside dagctld: {}", run_id, e.what());
    outcome.status = common::RunStatus::error;
    outcome.error_message = std::string("dagctld could not run it: ") + e.what();
  }
  try {
    finish(run_id, outcome);
    spdlog::info("run {} ended {}", run_id, common::to_string(outcome.status));
  } catch (const std::exception& e) {
    spdlog::error("run {}: could not record its end: {}", run_id, e.what());
  }
  {
    std::lock_guard lock(mutex_);
    active_[run_id].finished = true;
    wake_pending_ = true;
  }
  changed_.notify_all();
}

}  // namespace dagctl::daemon::runner
