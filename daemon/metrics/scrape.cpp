#include "daemon/metrics/scrape.hpp"

#include <algorithm>
#include <chrono>

#include "daemon/metrics/process_facts.hpp"

namespace dagctl::daemon::metrics {

namespace {

double epoch_seconds(common::TimePoint t) { return static_cast<double>(common::to_millis(t)) / 1000.0; }

double age_seconds(common::TimePoint since, common::TimePoint now) {
  return std::max(0.0, std::chrono::duration<double>(now - since).count());
}

}  // namespace

Scraper::Scraper(store::Store& store, Metrics& metrics, DaemonFacts facts, size_t max_models_per_project)
    : store_(store), metrics_(metrics), facts_(std::move(facts)), max_models_(max_models_per_project) {}

std::string Scraper::render() {
  std::lock_guard lock(mutex_);
  const auto now = common::now();
  std::map<std::string, std::string> project_names;  // by id
  for (const auto& p : store_.projects().list()) project_names[p.id] = p.name;
  TextWriter out;
  metrics_.write(out);
  write_runs(out, project_names, now);
  refresh_models(project_names.size());
  write_models(out, project_names);
  write_outbox(out, now);
  write_daemon(out);
  return out.text();
}

void Scraper::write_runs(TextWriter& out, const std::map<std::string, std::string>& project_names,
                         common::TimePoint now) {
  struct Counts {
    double queued = 0, running = 0, oldest_age = 0;
  };
  std::map<std::string, Counts> by_project;  // every project, with 0s
  for (const auto& [id, name] : project_names) by_project[name];
  for (const auto& a : store_.metrics().active_runs()) {
    const auto name = project_names.find(a.project_id);
    if (name == project_names.end()) continue;  // deleted meanwhile
    auto& c = by_project[name->second];
    if (a.status == common::RunStatus::queued) {
      c.queued = static_cast<double>(a.count);
      c.oldest_age = age_seconds(a.oldest_created, now);
    } else {
      c.running = static_cast<double>(a.count);
    }
  }
  out.family("dagctl_runs_queued", "Runs waiting in the queue, by project.", Type::gauge);
  for (const auto& [project, c] : by_project) out.sample("dagctl_runs_queued", {{"project", project}}, c.queued);
  out.family("dagctl_runs_running", "Runs running now, by project.", Type::gauge);
  for (const auto& [project, c] : by_project) out.sample("dagctl_runs_running", {{"project", project}}, c.running);
  out.family("dagctl_queue_oldest_age_seconds",
             "Seconds the oldest queued run of the project has waited since it was queued (0: none queued).",
             Type::gauge);
  for (const auto& [project, c] : by_project) {
    out.sample("dagctl_queue_oldest_age_seconds", {{"project", project}}, c.oldest_age);
  }
}

void Scraper::refresh_models(size_t project_count) {
  bool overflowed = false;
  const auto finished = metrics_.take_finished_runs(overflowed);
  if (!models_loaded_ || overflowed) {
    // Once per daemon: each model id's newest success per project, one query (and one
    // turn of the connection's lock) per model id, so runs are not held up meanwhile. With
    // one project that is one row per model; with more, a model some project never built
    // successfully is read for kMaxRowsPerModel rows at most.
    models_.clear();
    for (const auto& id : store_.metrics().model_ids()) {
      for (auto& m : store_.metrics().last_successes(id, project_count, kMaxRowsPerModel)) {
        models_[{m.project_id, m.unique_id}] = std::move(m);
      }
    }
    models_loaded_ = true;
    return;
  }
  for (const auto& run_id : finished) {
    for (auto& m : store_.metrics().run_successes(run_id)) {
      auto& slot = models_[{m.project_id, m.unique_id}];
      if (slot.unique_id.empty() || m.run_seq >= slot.run_seq) slot = std::move(m);
    }
  }
}

void Scraper::write_models(TextWriter& out, const std::map<std::string, std::string>& project_names) {
  // By project name: the first max_models_ model ids, and how many more there are.
  std::map<std::string, std::vector<const store::ModelSuccess*>> shown;
  std::map<std::string, double> dropped;
  for (const auto& [id, name] : project_names) dropped[name] = 0;
  for (const auto& [key, m] : models_) {
    const auto name = project_names.find(key.first);
    if (name == project_names.end()) continue;  // the project was deleted
    auto& list = shown[name->second];
    if (list.size() < max_models_) {
      list.push_back(&m);
    } else {
      dropped[name->second] += 1;
    }
  }
  out.family("dagctl_model_last_success_timestamp_seconds",
             "When the model last built successfully (its node record's end), by project and model; "
             "time() minus this is the seconds since its last success.",
             Type::gauge);
  for (const auto& [project, list] : shown) {
    for (const auto* m : list) {
      out.sample("dagctl_model_last_success_timestamp_seconds",
                 {{"project", project}, {"model", m->name}, {"unique_id", m->unique_id}}, epoch_seconds(m->finished_at));
    }
  }
  out.family("dagctl_model_last_success_duration_seconds",
             "How long the model's last successful build took (dbt's execution time), by project and model.",
             Type::gauge);
  for (const auto& [project, list] : shown) {
    for (const auto* m : list) {
      if (!m->execution_time) continue;
      out.sample("dagctl_model_last_success_duration_seconds",
                 {{"project", project}, {"model", m->name}, {"unique_id", m->unique_id}}, *m->execution_time);
    }
  }
  out.family("dagctl_model_series_dropped",
             "Models of the project left out of the dagctl_model_* metrics: over " + std::to_string(max_models_) +
                 " per project (docs/metrics.md, Cardinality).",
             Type::gauge);
  for (const auto& [project, n] : dropped) out.sample("dagctl_model_series_dropped", {{"project", project}}, n);
}

void Scraper::write_outbox(TextWriter& out, common::TimePoint now) {
  struct Owed {
    double pending = 0, oldest_age = 0;
  };
  // Every kind dagctld sends, 0 included, so an alert's series exists before the first.
  std::map<std::string, Owed> by_kind;
  for (const char* kind : {store::delivery_kind::webhook, store::delivery_kind::slack, store::delivery_kind::openlineage,
                           store::delivery_kind::airflow_asset}) {
    by_kind[kind];
  }
  for (const auto& b : store_.metrics().outbox_backlog()) {
    if (b.kind.size() > 64) continue;  // not a kind dagctld writes
    auto& owed = by_kind[b.kind];
    owed.pending = static_cast<double>(b.pending);
    owed.oldest_age = b.oldest_created ? age_seconds(*b.oldest_created, now) : 0.0;
  }
  out.family("dagctl_outbox_pending_deliveries",
             "Deliveries owed and not yet delivered or given up, by kind (webhook, slack, openlineage, airflow_asset).",
             Type::gauge);
  for (const auto& [kind, owed] : by_kind) out.sample("dagctl_outbox_pending_deliveries", {{"kind", kind}}, owed.pending);
  out.family("dagctl_outbox_oldest_pending_age_seconds",
             "Seconds since the oldest owed delivery of the kind was stored (0: none owed).", Type::gauge);
  for (const auto& [kind, owed] : by_kind) {
    out.sample("dagctl_outbox_oldest_pending_age_seconds", {{"kind", kind}}, owed.oldest_age);
  }
}

void Scraper::write_daemon(TextWriter& out) {
  out.family("dagctl_build_info", "dagctld's version; always 1.", Type::gauge);
  out.sample("dagctl_build_info", {{"version", facts_.version}}, 1);
  out.family("dagctl_start_time_seconds", "When this dagctld started, in seconds since the epoch.", Type::gauge);
  out.sample("dagctl_start_time_seconds", {}, epoch_seconds(facts_.started_at));
  out.family("dagctl_http_connections",
             "HTTP connections being served now, by listener (socket, tcp, metrics); a log follower holds one.",
             Type::gauge);
  if (facts_.connections) {
    for (const auto& [listener, n] : facts_.connections()) {
      out.sample("dagctl_http_connections", {{"listener", listener}}, static_cast<double>(n));
    }
  }
  const ProcessFacts process = read_process_facts();
  if (process.resident_memory_bytes) {
    out.family("process_resident_memory_bytes", "Resident memory size in bytes.", Type::gauge);
    out.sample("process_resident_memory_bytes", {}, *process.resident_memory_bytes);
  }
  if (process.start_time_seconds) {
    out.family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Type::gauge);
    out.sample("process_start_time_seconds", {}, *process.start_time_seconds);
  }
  if (process.cpu_seconds) {
    out.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Type::counter);
    out.sample("process_cpu_seconds_total", {}, *process.cpu_seconds);
  }
}

}  // namespace dagctl::daemon::metrics
