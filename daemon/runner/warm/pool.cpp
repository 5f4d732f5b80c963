#include "daemon/runner/warm/pool.hpp"

#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include <spdlog/spdlog.h>

#include "daemon/store/retry.hpp"

namespace dagctl::daemon::runner::warm {

namespace {

std::string launch_key(const WorkerLaunch& launch) {
  std::vector<std::string> env = launch.env;
  std::sort(env.begin(), env.end());
  std::string key;
  for (const auto& part : launch.argv) key += part + '\0';
  key += '\n';
  for (const auto& part : env) key += part + '\0';
  return key + '\n' + launch.cwd;
}

std::int64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

const char* state_name(Worker::State s) {
  switch (s) {
    case Worker::State::starting: return "starting";
    case Worker::State::parsing: return "parsing";
    case Worker::State::ready: return "ready";
    case Worker::State::running: return "running";
    case Worker::State::gone: return "cold";
  }
  return "cold";
}

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace

std::string files_stamp(const std::vector<std::string>& files) {
  std::string stamp;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) {
      stamp += f + ":gone\n";
      continue;
    }
    stamp += f + ':' + std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + ':' +
             std::to_string(st.st_size) + ':' + std::to_string(st.st_ino) + '\n';
  }
  return stamp;
}

Pool::Pool(PoolOptions options)
    : options_(options), sweeper_("warm workers: stopping idle ones", [this] { return sweep(); }, store::log_to_spdlog) {
  if (options_.enabled) sweeper_.start();
}

Pool::~Pool() { stop_all(); }

void Pool::stop_all() {
  sweeper_.stop();
  std::map<std::string, Entry> entries;
  {
    std::lock_guard lock(mutex_);
    entries.swap(entries_);
  }
  // Closing first lets every worker end its runs' children itself, all at once.
  for (auto& [id, e] : entries) {
    if (e.worker) e.worker->close();
  }
}

void Pool::start_worker(Entry& entry, const WorkerRequest& request) {
  entry.key = launch_key(request.launch);
  entry.installation.clear();
  auto started = Worker::start(request.launch);
  if (!started) {
    entry.worker.reset();
    entry.cold_reason = "the worker could not start: " + started.error();
    entry.cold_key = entry.key;
    return;
  }
  entry.worker = std::shared_ptr<Worker>(std::move(started).value());
  entry.cold_reason.clear();
  entry.stopped.clear();
  spdlog::info("project {}: warm dbt worker started (pid {})", request.project_name, entry.worker->pid());
}

void Pool::evict_for_one_more(const std::string& keep) {
  const auto live = [](const Entry& e) { return e.worker != nullptr; };
  while (static_cast<int>(std::count_if(entries_.begin(), entries_.end(), [&](const auto& p) { return live(p.second); })) >=
         std::max(options_.max_workers, 1)) {
    Entry* oldest = nullptr;
    for (auto& [id, e] : entries_) {
      if (id == keep || !e.worker || e.busy) continue;
      if (!oldest || e.last_used < oldest->last_used) oldest = &e;
    }
    if (!oldest) return;  // all busy: the cap is --max-parallel runs, so this one is one of them
    spdlog::info("project {}: warm dbt worker stopped to make room for another", oldest->name);
    oldest->worker->close();
    oldest->worker.reset();
    oldest->stopped = "no worker: stopped to make room for another project's (at most --max-parallel " +
                      std::to_string(std::max(options_.max_workers, 1)) + " live); the next run starts one";
  }
}

std::variant<std::shared_ptr<Worker>, std::string> Pool::acquire(const WorkerRequest& request, int stop_fd) {
  if (!options_.enabled) return std::string("warm workers are off (--warm off)");
  if (!request.project_warm) return std::string("warm workers are off for this project (warm: false)");
  std::shared_ptr<Worker> worker;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[request.project_id];
    entry.name = request.project_name;
    entry.last_request = request;
    if (!request.cold_reason.empty()) {
      entry.worker.reset();
      entry.cold_reason = request.cold_reason;
      return request.cold_reason;
    }
    const std::string key = launch_key(request.launch);
    if (entry.worker) {
      entry.worker->refresh();
      const bool stale_installation =
          !entry.installation.empty() && files_stamp(entry.worker->watched_files()) != entry.installation;
      if (entry.worker->state() == Worker::State::gone || entry.key != key || stale_installation) {
        if (stale_installation) spdlog::info("project {}: dbt's installation changed: restarting its warm worker", entry.name);
        entry.worker->close();
        entry.worker.reset();
      }
    }
    if (!entry.worker) {
      if (!entry.cold_reason.empty() && entry.cold_key == key) return entry.cold_reason;
      evict_for_one_more(request.project_id);
      start_worker(entry, request);
      if (!entry.worker) return entry.cold_reason;
    }
    ++entry.busy;
    worker = entry.worker;
  }
  // Outside the lock: a first start imports dbt and parses the project (seconds).
  auto ready = worker->wait_ready(options_.ready_timeout, stop_fd);
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[request.project_id];
  if (!ready && stop_fd >= 0 && worker->state() != Worker::State::gone && readable_now(stop_fd)) {
    entry.busy = false;  // the worker keeps starting for the next run
    return ready.error();
  }
  if (!ready) {
    spdlog::warn("project {}: runs go cold: {}", entry.name, ready.error());
    entry.busy = std::max(entry.busy - 1, 0);
    entry.cold_reason = ready.error();
    entry.cold_key = launch_key(request.launch);
    if (entry.worker == worker) entry.worker.reset();
    worker->close();
    return ready.error();
  }
  if (entry.worker == worker && entry.installation.empty()) {
    entry.installation = files_stamp(worker->watched_files());
    spdlog::info("project {}: warm dbt worker ready (pid {}, dbt {})", entry.name, worker->python_pid(), worker->dbt_version());
  }
  return worker;
}

void Pool::release(const std::string& project_id) {
  bool restart = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(project_id);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    e.busy = std::max(e.busy - 1, 0);
    e.last_used = common::now();
    if (e.worker) {
      e.worker->refresh();
      if (e.worker->state() == Worker::State::gone) {
        e.worker.reset();
        restart = e.last_request.has_value();
      }
    }
    if (restart) {
      evict_for_one_more(project_id);
      start_worker(e, *e.last_request);  // pre-warmed for the next run; ready or not, it is not waited on here
    }
  }
  sweeper_.wake();
}

std::optional<common::Clock::time_point> Pool::sweep() {
  std::vector<std::shared_ptr<Worker>> idle;
  std::optional<common::TimePoint> next;
  {
    std::lock_guard lock(mutex_);
    const auto now = common::now();
    for (auto& [id, e] : entries_) {
      if (!e.worker || e.busy) continue;
      e.worker->refresh();
      if (e.worker->state() == Worker::State::gone) {
        e.worker.reset();
        continue;
      }
      const auto since = e.last_used == common::TimePoint{} ? e.worker->started_at() : e.last_used;
      const auto due = since + std::chrono::duration_cast<std::chrono::milliseconds>(options_.idle);
      if (due <= now) {
        spdlog::info("project {}: warm dbt worker idle for {} s: stopped", e.name, options_.idle.count());
        idle.push_back(std::move(e.worker));
        e.worker.reset();
        e.stopped.clear();
      } else if (!next || due < *next) {
        next = due;
      }
    }
  }
  for (auto& w : idle) w->close();
  idle.clear();  // ~Worker reaps
  if (!next) return std::nullopt;
  return common::Clock::time_point(std::chrono::duration_cast<common::Clock::duration>(next->time_since_epoch()));
}

std::vector<WorkerInfo> Pool::describe() {
  std::vector<WorkerInfo> out;
  std::lock_guard lock(mutex_);
  for (auto& [id, e] : entries_) {
    WorkerInfo info;
    info.project_id = id;
    info.project_name = e.name;
    if (e.worker) {
      e.worker->refresh();
      info.state = state_name(e.worker->state());
      info.pid = e.worker->python_pid();
      info.rss_bytes = rss_bytes(info.pid);
      info.dbt_version = e.worker->dbt_version();
      info.runs = e.worker->runs();
      info.started_at = common::to_rfc3339(e.worker->started_at());
      if (e.last_used != common::TimePoint{}) info.last_used_at = common::to_rfc3339(e.last_used);
      info.reason = e.worker->last_parse_note().empty()
                        ? ""
                        : "the project does not parse, so each run parses for itself: " + e.worker->last_parse_note();
    } else {
      info.state = "cold";
      info.reason = !e.cold_reason.empty() ? e.cold_reason
                    : !e.stopped.empty()     ? e.stopped
                                             : "no worker: it stopped after --warm-idle; the next run starts one";
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.project_name < b.project_name; });
  return out;
}

}  // namespace dagctl::daemon::runner::warm
