#include "daemon/runner/dispatcher.hpp"

#include <malloc.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/store/retry.hpp"

namespace dagctl::daemon::runner {

Dispatcher::Dispatcher(store::Store& store, RunExecutor& executor, int max_parallel,
                       webhooks::Outbox* outbox)
    : store_(store),
      executor_(executor),
      max_parallel_(std::max(1, max_parallel)),
      outbox_(outbox),
      worker_("dispatcher: starting queued runs", [this] { return pass(); }, store::log_to_spdlog) {}

bool Dispatcher::finish(const std::string& run_id, const Outcome& outcome, common::TimePoint end_time,
                        bool owe_webhook) {
  store::DeliveryOwed owed;
  std::optional<store::Run> run;
  if ((outbox_ && owe_webhook) || metrics_) run = store_.runs().find(run_id);
  if (outbox_ && owe_webhook && run) owed = outbox_->owed_for(*run);
  const bool done = store_.runs().finish(run_id, outcome.status, end_time, outcome.exit_code,
                                         outcome.error_message, outcome.results, owed, outcome.nothing_selected,
                                         outcome.plan);
  if (done && outbox_) outbox_->notify();
  if (done && metrics_ && run) metrics_->run_finished(*run, outcome.status, end_time);
  if (done) run_ends_.notify();
  return done;
}

Dispatcher::~Dispatcher() { shutdown(); }

void Dispatcher::start() { worker_.start(); }

void Dispatcher::wake() { worker_.wake(); }

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
    done = finish(run_id, cancelled, common::now());
  }
  if (done) {
    wake();
    return true;
  }
  // Running on another daemon: it cancels the run at its next look (docs/runs.md, Several daemons).
  return store_.runs().request_cancel(run_id, common::now());
}

std::vector<std::string> Dispatcher::running_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, a] : active_) {
    if (!a.finished && !a.lost) ids.push_back(id);  // ending ones too: their lease holds while the end is written
  }
  return ids;
}

void Dispatcher::lose(const std::vector<std::string>& run_ids) {
  std::lock_guard lock(mutex_);
  for (const auto& id : run_ids) {
    const auto it = active_.find(id);
    // A run whose end is being written here left `running` by its own end (or, fenced, by
    // nothing): either way nothing is left to stop.
    if (it == active_.end() || it->second.finished || it->second.lost || it->second.ending) continue;
    spdlog::error("run {}: this daemon no longer holds its lease; its dbt is stopped and another daemon ends it", id);
    it->second.lost = true;
    it->second.control->request_stop(StopReason::daemon_stopped);
  }
}

void Dispatcher::cancel_requested_elsewhere(std::unique_lock<std::mutex>& lock) {
  if (active_.empty()) return;
  lock.unlock();
  const auto asked = store_.runs().cancel_requested();
  lock.lock();
  for (const auto& id : asked) {
    if (const auto it = active_.find(id); it != active_.end() && !it->second.lost) {
      it->second.control->request_stop(StopReason::cancelled);
    }
  }
}

std::optional<Progress> Dispatcher::progress(const std::string& run_id) const {
  std::lock_guard lock(mutex_);
  const auto it = active_.find(run_id);
  if (it == active_.end()) return std::nullopt;
  return it->second.progress;
}

Progress Dispatcher::queued_progress(const store::Run& run) const {
  Progress p;
  p.phase = Phase::queued;
  std::lock_guard lock(mutex_);
  if (active_.count(run.id)) return p;  // started since the caller read it
  int running = 0;
  for (const auto& [id, a] : active_) {
    if (a.finished) continue;  // its slot is free already
    ++running;
    if (a.project_id == run.project_id) {
      p.queued_behind = id;
      p.waiting_for = a.label.empty() ? fmt::format("run {} to finish", id)
                                      : fmt::format("run {} ({}) to finish", id, a.label);
      return p;
    }
  }
  if (running >= max_parallel_) {
    p.waiting_for =
        fmt::format("a free slot ({} of {} running, --max-parallel {})", running, max_parallel_, max_parallel_);
  }
  return p;
}

void Dispatcher::shutdown() {
  {
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, a] : active_) a.control->request_stop(StopReason::daemon_stopped);
  }
  changed_.notify_all();
  worker_.stop();  // no run starts after this
  // Wait for every running run to end (each was asked to stop).
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] {
    for (const auto& [id, a] : active_) {
      if (!a.finished) return false;
    }
    return true;
  });
  join_finished(lock);
  lock.unlock();
  // No run is left to copy; its pass asks this object for progress, so it ends first.
  if (run_mirror_) run_mirror_->stop();
}

bool Dispatcher::record_end(const std::string& run_id, const Outcome& outcome, common::TimePoint end_time) {
  const auto pause = [this](std::chrono::milliseconds delay) { return pause_unless_stopping(delay); };
  const std::string what =
      "run " + run_id + ": recording its end (" + std::string(common::to_string(outcome.status)) + ")";
  // The log's rest first, so a daemon that reads the run ended has all of it in the store
  // (docs/scale-out.md#logs-and-artifacts). Tried again with the end while the store is
  // away; any other failure leaves the copy short and the end is written all the same.
  const auto copy_log = [&] {
    if (!run_mirror_) return;
    try {
      run_mirror_->finish(run_id);
    } catch (const std::exception& e) {
      if (store::is_transient(e)) throw;
      spdlog::warn("run {}: the rest of its log could not be copied into the store ({}); other daemons show it "
                   "up to there", run_id, e.what());
      run_mirror_->drop(run_id);
    }
  };
  try {
    return store::retry_until_done(what, [&] { copy_log(); finish(run_id, outcome, end_time); }, pause);
  } catch (const std::exception& e) {
    // Fails the same way every time (e.g. the job's webhook cannot be built from its stored
    // row): the end is written without the webhook rather than never.
    spdlog::error("run {}: the webhook it owes cannot be stored ({}); recording its end without it", run_id, e.what());
  }
  try {
    return store::retry_until_done(what, [&] { copy_log(); finish(run_id, outcome, end_time, false); }, pause);
  } catch (const std::exception& e) {
    spdlog::error("run {}: cannot record its end: {}", run_id, e.what());
    return false;
  }
}

bool Dispatcher::pause_unless_stopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, delay, [this] { return stopping_; });
}

std::optional<common::Clock::time_point> Dispatcher::pass() {
  std::unique_lock lock(mutex_);
  const size_t ended = join_finished(lock);
  if (stopping_) return std::nullopt;
  // A store error leaves the queue as it was (it lives in the store): nothing is lost.
  start_due_runs(lock);
  cancel_requested_elsewhere(lock);
  if (ended > 0 && active_.empty()) {
    // Idle now: hand the memory freed by the runs' threads back to the system, or the
    // idle daemon keeps its peak heap (docs/benchmarks.md, idle RSS after work).
    lock.unlock();
    ::malloc_trim(0);
  }
  // A queued run or a run's end here wakes it; runs queued or ended at other daemons sharing
  // the database, and cancels asked there, are seen within a second (docs/runs.md, Several daemons).
  return common::Clock::now() + std::chrono::seconds(1);
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
  std::set<std::string> busy_elsewhere;  // a run of theirs runs on another daemon
  for (bool again = true; again && !stopping_;) {
    again = false;
    const int free_slots = max_parallel_ - static_cast<int>(active_.size());
    if (free_slots <= 0) return;
    // A later run of a busy project waits too: each project's queue keeps its order.
    std::set<std::string> busy_projects = busy_elsewhere;
    for (const auto& [id, a] : active_) busy_projects.insert(a.project_id);

    lock.unlock();
    const auto due = store_.runs().next_queued(busy_projects, free_slots);
    lock.lock();
    for (const auto& run : due) {
      if (stopping_ || static_cast<int>(active_.size()) >= max_parallel_) return;
      const auto started = common::now();
      const auto claim = store_.runs().claim(run.id, started, outbox_ ? outbox_->owed_at_start(run) : store::DeliveryOwed{});
      if (claim == store::Claim::system_full) return;  // --system-max-parallel: the next look tries again
      if (claim == store::Claim::project_busy) busy_elsewhere.insert(run.project_id);
      if (claim != store::Claim::started) {
        again = true;  // cancelled or claimed meanwhile, or its project is busy elsewhere
        continue;
      }
      if (outbox_) outbox_->notify();
      if (metrics_) metrics_->run_started(run, started);
      Active& a = active_[run.id];
      a.project_id = run.project_id;
      a.control = std::make_unique<RunControl>();
      RunControl* control = a.control.get();
      a.thread = std::thread([this, id = run.id, control] { execute(id, *control); });
    }
  }
}

void Dispatcher::execute(const std::string& run_id, RunControl& control) {
  const auto pause = [this](std::chrono::milliseconds delay) { return pause_unless_stopping(delay); };
  if (run_mirror_) run_mirror_->track(run_id);
  Outcome outcome;
  try {
    std::optional<store::Run> run;
    std::optional<store::Job> job;
    std::optional<store::Project> project;
    const bool read = store::retry_until_done(
        "run " + run_id + ": reading it",
        [&] {
          run = store_.runs().find(run_id);
          job = run ? store_.jobs().find(run->job_id) : std::nullopt;
          project = run ? store_.projects().find(run->project_id) : std::nullopt;
        },
        pause);
    if (!read) throw std::runtime_error("dagctld stopped before the run could start");
    if (!run || !job || !project) throw std::runtime_error("the run's job or project was deleted");
    spdlog::info("run {} started: {} ({})", run_id, run->command, project->name);
    {
      std::lock_guard lock(mutex_);
      active_[run_id].label = project->name + "/" + job->name;
    }
    RunCallbacks callbacks;
    callbacks.on_started = [&](int pid, std::int64_t ticks) {
      // Only a help for a later start's recovery, which also finds dbt by DAGCTL_RUN_ID:
      // failing to store it must not stop the run (dbt is running already).
      try {
        store_.runs().record_process(run_id, pid, ticks);
      } catch (const std::exception& e) {
        spdlog::warn("run {}: could not record dbt's pid {}: {}", run_id, pid, e.what());
      }
    };
    callbacks.on_progress = [&](Progress p) {
      std::lock_guard lock(mutex_);
      active_[run_id].progress = p;
    };
    callbacks.on_nodes = [&](const std::vector<store::NodeRecord>& nodes) {
      // Only a view of the run: a store error must not stop dbt. The executor keeps the
      // records and offers them again with the next batch.
      try {
        store_.nodes().upsert(run_id, nodes);
        return true;
      } catch (const std::exception& e) {
        spdlog::warn("run {}: could not store {} node record(s) yet: {}", run_id, nodes.size(), e.what());
        return false;
      }
    };
    outcome = executor_.execute({*run, *project, *job}, control, callbacks);
  } catch (const std::exception& e) {
    spdlog::error("run {} failed inside dagctld: {}", run_id, e.what());
    outcome.status = common::RunStatus::error;
    outcome.error_message = std::string("dagctld could not run it: ") + e.what();
  }
  // The end is owed until it is written (a lock held by another process, a full disk): the
  // thread tries until it is, and only then counts as done. If dagctld stops first the run
  // stays `running` in the store, and the next start's recovery ends it `error`.
  const auto end_time = common::now();
  const std::string status(common::to_string(outcome.status));
  bool lost = false;
  {
    std::lock_guard lock(mutex_);
    lost = active_[run_id].lost;
    active_[run_id].ending = true;
  }
  if (lost) {
    if (run_mirror_) run_mirror_->drop(run_id);
    spdlog::warn("run {} stopped here; its end is another daemon's to write (docs/runs.md, Several daemons)", run_id);
  } else if (record_end(run_id, outcome, end_time)) {
    spdlog::info("run {} ended {}", run_id, status);
  } else {
    spdlog::error("run {} ended {} but that is not recorded; the next start ends it 'error'", run_id, status);
  }
  {
    std::lock_guard lock(mutex_);
    active_[run_id].finished = true;
  }
  changed_.notify_all();  // a shutdown waiting for the runs to end
  worker_.wake();         // its slot is free: the next queued run may start
}

}  // namespace dagctl::daemon::runner
