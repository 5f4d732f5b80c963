#include "daemon/metrics/metrics.hpp"

#include <chrono>
#include <utility>

namespace dagctl::daemon::metrics {

std::vector<double> run_duration_buckets() { return {1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200}; }

std::vector<double> schedule_lag_buckets() { return {0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600}; }

std::vector<std::string> run_labels(const store::Run& run) {
  // A job deleted while its run ended has no name any more; its id stays unique.
  return {run.project_name, run.job_current_name.value_or(run.job_id)};
}

namespace {

double seconds_between(common::TimePoint from, common::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Metrics::Metrics()
    : runs_started_("dagctl_runs_started_total", "Runs that started running (left the queue), by project and job.",
                    {"project", "job_name"}, kMaxRunSeries),
      runs_finished_("dagctl_runs_finished_total",
                     "Runs that reached a terminal status, by project, job and status (a queued run cancelled "
                     "before it started counts as cancelled).",
                     {"project", "job_name", "status"}, kMaxRunSeries),
      run_duration_("dagctl_run_duration_seconds", "Time from a run's start to its end, by project and job.",
                    {"project", "job_name"}, run_duration_buckets(), kMaxHistogramSeries),
      schedule_lag_("dagctl_schedule_lag_seconds",
                    "Time from a scheduled run's fire time to its start, by project and job.", {"project", "job_name"},
                    schedule_lag_buckets(), kMaxHistogramSeries),
      delivery_attempts_("dagctl_delivery_attempts_total",
                         "Outbox delivery attempts by kind (webhook, slack, openlineage, airflow_asset) and outcome: "
                         "delivered, retrying (tried again later) or failed (given up).",
                         {"kind", "outcome"}, 64) {}

void Metrics::run_started(const store::Run& run, common::TimePoint start) {
  auto labels = run_labels(run);
  runs_started_.inc(labels);
  if (run.triggered_by != "schedule") return;
  std::lock_guard lock(pending_mutex_);
  if (const auto it = fired_.find(run.id); it != fired_.end()) {
    schedule_lag_.observe(labels, seconds_between(it->second, start));
    fired_.erase(it);
  } else if (started_.size() < kMaxPendingFires) {
    started_[run.id] = {start, std::move(labels)};
  }
}

void Metrics::schedule_fired(const std::string& run_id, common::TimePoint fire) {
  std::lock_guard lock(pending_mutex_);
  if (const auto it = started_.find(run_id); it != started_.end()) {
    schedule_lag_.observe(it->second.labels, seconds_between(fire, it->second.at));
    started_.erase(it);
  } else if (fired_.size() < kMaxPendingFires) {
    fired_[run_id] = fire;
  }
}

void Metrics::run_finished(const store::Run& run, common::RunStatus status, common::TimePoint end) {
  auto labels = run_labels(run);
  if (run.start_time) run_duration_.observe(labels, seconds_between(*run.start_time, end));
  labels.emplace_back(common::to_string(status));
  runs_finished_.inc(labels);
  std::lock_guard lock(pending_mutex_);
  fired_.erase(run.id);  // cancelled before it started: no lag to measure
  if (finished_.size() < kMaxPendingFinished) {
    finished_.push_back(run.id);
  } else {
    finished_overflowed_ = true;
  }
}

std::vector<std::string> Metrics::take_finished_runs(bool& overflowed) {
  std::lock_guard lock(pending_mutex_);
  overflowed = finished_overflowed_;
  finished_overflowed_ = false;
  return std::exchange(finished_, {});
}

void Metrics::delivery_attempt(const std::string& kind, const std::string& outcome) {
  delivery_attempts_.inc({kind, outcome});
}

void Metrics::write(TextWriter& out) const {
  runs_started_.write(out);
  runs_finished_.write(out);
  run_duration_.write(out);
  schedule_lag_.write(out);
  delivery_attempts_.write(out);
  out.family("dagctl_metrics_series_dropped_total",
             "Label sets a family refused because it holds its most (docs/metrics.md, Cardinality), by metric.",
             Type::counter);
  for (const auto* f : {&runs_started_, &runs_finished_, &delivery_attempts_}) {
    out.sample("dagctl_metrics_series_dropped_total", {{"metric", f->name()}}, static_cast<double>(f->dropped()));
  }
  for (const auto* f : {&run_duration_, &schedule_lag_}) {
    out.sample("dagctl_metrics_series_dropped_total", {{"metric", f->name()}}, static_cast<double>(f->dropped()));
  }
}

}  // namespace dagctl::daemon::metrics
