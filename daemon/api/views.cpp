#include "daemon/api/views.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cstdint>

#include "daemon/runner/git_checkout.hpp"
#include "daemon/schedule/cron.hpp"
#include "daemon/service/notification_fields.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {
template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
json opt_time(const std::optional<common::TimePoint>& t) {
  return t ? json(common::to_rfc3339(*t)) : json(nullptr);
}
}  // namespace

json project_json(const store::Project& p, const std::vector<store::Job>& jobs) {
  json job_list = json::array();
  for (const auto& j : jobs) job_list.push_back({{"id", j.id}, {"name", j.name}});
  return {
      {"id", p.id},
      {"name", p.name},
      {"type", p.type},
      {"path", p.path},
      {"profiles_dir", p.profiles_dir.empty() ? json(nullptr) : json(p.profiles_dir)},
      {"target", p.target.empty() ? json(nullptr) : json(p.target)},
      // The executable under its tool's name; the other one is null.
      {"dbt", p.type != "dbt" || p.executable.empty() ? json(nullptr) : json(p.executable)},
      {"sqlmesh", p.type != "sqlmesh" || p.executable.empty() ? json(nullptr) : json(p.executable)},
      // Names only: values may be credentials.
      {"env", [&] {
         json names = json::array();
         for (const auto& [k, v] : p.env) names.push_back(k);
         return names;
       }()},
      {"warm", p.warm},
      // null: the daemon's --openlineage-url; "": none for this project (docs/openlineage.md).
      {"openlineage_url", p.openlineage_url ? json(*p.openlineage_url) : json(nullptr)},
      // A project from git (docs/api.md#projects-from-git): its URL without a password.
      {"git_url", p.git_url ? json(runner::git::redact_url(*p.git_url)) : json(nullptr)},
      {"git_ref", opt(p.git_ref)},
      {"git_subdir", opt(p.git_subdir)},
      {"created_at", common::to_rfc3339(p.created_at)},
      {"jobs", job_list},
  };
}

namespace {
// "2026-11-28 03:00 CET"
std::string format_in_zone(common::TimePoint t, const date::time_zone* zone) {
  return date::format("%F %R %Z", date::make_zoned(zone, std::chrono::floor<std::chrono::seconds>(t)));
}

// The schedule as a user reads it: in words, and the next fire times in the job's zone and
// in this machine's zone (docs/schedules.md: dagctl job show prints them).
json schedule_view(const store::Job& j) {
  if (!j.schedule) return nullptr;
  const auto expr = schedule::parse_cron(*j.schedule);
  const std::string zone_name = j.timezone.value_or(schedule::local_zone_name());
  const auto zone = schedule::find_zone(zone_name);
  if (!expr || !zone) return {{"description", "invalid schedule"}};
  const auto local = schedule::find_zone(schedule::local_zone_name());
  json next = json::array();
  auto after = std::max(common::now(), j.schedule_checked_at.value_or(common::now()));
  for (int i = 0; i < 5; ++i) {
    const auto fire = schedule::next_fire(*expr, *zone, after);
    if (!fire) break;
    next.push_back({{"at", common::to_rfc3339(*fire)},
                    {"job_zone", format_in_zone(*fire, *zone)},
                    {"local", local ? format_in_zone(*fire, *local) : common::to_rfc3339(*fire)}});
    after = *fire;
  }
  return {{"description", schedule::describe(*expr)}, {"timezone", zone_name}, {"next_fire_times", next}};
}
}  // namespace

// The password is write-only: everything else of webhook_auth is shown.
static json webhook_auth_view(const json& auth) {
  if (!auth.is_object()) return nullptr;
  json view = json::object();
  for (const auto& [k, v] : auth.items()) {
    if (k != "password") view[k] = v;
  }
  return view;
}

// A Slack URL holds its token: shown without its last path segment on every listener, like
// webhook_auth's password (docs/notifications.md, Secrecy).
static json notifications_view(const json& notifications) {
  json view = json::array();
  if (!notifications.is_array()) return view;
  for (auto n : notifications) {
    if (n.is_object() && n.contains("url") && n["url"].is_string()) n["url"] = service::redact_slack_url(n["url"].get<std::string>());
    view.push_back(std::move(n));
  }
  return view;
}

json job_json(const store::Job& j, const std::optional<store::RunBrief>& last_run) {
  json last = nullptr;
  if (last_run) {
    last = {{"id", last_run->id},
            {"status", common::to_string(last_run->status)},
            {"created_at", common::to_rfc3339(last_run->created_at)},
            {"finished_at", opt_time(last_run->end_time)}};
  }
  return {
      {"id", j.id},
      {"project_id", j.project_id},
      {"name", j.name},
      {"command", j.command},
      {"schedule", opt(j.schedule)},
      {"timezone", opt(j.timezone)},
      {"timeout_seconds", opt(j.timeout_seconds)},
      {"enabled", j.enabled},
      {"catchup", j.catchup},
      {"webhook_enabled", j.webhook_enabled},
      {"webhook_url", opt(j.webhook_url)},
      {"webhook_headers", j.webhook_headers},
      {"webhook_events", j.webhook_events},
      {"webhook_auth", webhook_auth_view(j.webhook_auth)},
      {"notifications", notifications_view(j.notifications)},
      {"airflow_assets_url", opt(j.airflow_assets_url)},
      {"schedule_info", schedule_view(j)},
      {"last_fire_at", opt_time(j.last_fire_at)},
      {"last_fire_outcome", opt(j.last_fire_outcome)},
      {"last_run", last},
      {"created_at", common::to_rfc3339(j.created_at)},
      {"updated_at", common::to_rfc3339(j.updated_at)},
  };
}

json delivery_json(const store::Delivery& d, const std::vector<store::DeliveryAttempt>& attempts,
                   bool with_responses) {
  json list = json::array();
  for (const auto& a : attempts) {
    list.push_back({{"at", common::to_rfc3339(a.at)},
                    {"status_code", opt(a.status_code)},
                    {"latency_ms", a.latency_ms},
                    {"error", opt(a.error)},
                    {"response", with_responses ? json(a.response_excerpt) : json(nullptr)}});
  }
  return {{"id", d.id},
          {"kind", d.kind},
          {"job_id", d.job_id},
          {"run_id", opt(d.run_id)},
          {"event", d.event},
          {"url", d.kind == store::delivery_kind::slack ? service::redact_slack_url(d.url) : d.url},
          {"status", d.status},
          // Every attempt ever made, resends included (the column counts the current round).
          {"attempt_count", static_cast<int>(attempts.size())},
          {"created_at", common::to_rfc3339(d.created_at)},
          {"next_attempt_at", d.status == "pending" ? json(common::to_rfc3339(d.next_attempt_at)) : json(nullptr)},
          {"finished_at", opt_time(d.finished_at)},
          {"last_error", opt(d.last_error)},
          // The exact bytes every attempt sends; like the answers, only for those who may read them.
          {"request_body", with_responses ? json(d.body) : json(nullptr)},
          {"attempts", list}};
}

json progress_json(const runner::Progress& p, common::TimePoint now) {
  json running = json::array();
  for (const auto& n : p.running) {
    const auto elapsed_ms = std::max<std::int64_t>(0, common::to_millis(now) - common::to_millis(n.started_at));
    running.push_back({{"unique_id", n.unique_id},
                       {"name", n.name},
                       {"resource_type", n.resource_type},
                       {"started_at", common::to_rfc3339(n.started_at)},
                       {"elapsed_seconds", static_cast<double>(elapsed_ms) / 1000.0}});
  }
  return {{"phase", runner::to_string(p.phase)},
          {"done", p.done},
          {"total", p.total},
          {"running", running},
          {"waiting_for", opt(p.waiting_for)},
          {"queued_behind", opt(p.queued_behind)}};
}

json node_json(const store::NodeRecord& n) {
  json adapter_response = nullptr;
  if (n.adapter_response) {
    adapter_response = json::parse(*n.adapter_response, nullptr, /*allow_exceptions=*/false);
    if (adapter_response.is_discarded()) adapter_response = nullptr;
  }
  return {
      {"unique_id", n.unique_id},
      {"name", n.name},
      {"resource_type", n.resource_type},
      {"status", n.status},
      {"started_at", opt_time(n.started_at)},
      {"finished_at", opt_time(n.finished_at)},
      {"execution_time", opt(n.execution_time)},
      {"thread", opt(n.thread)},
      {"rows_affected", opt(n.rows_affected)},
      {"adapter_response", adapter_response},
      {"message", opt(n.message)},
      {"failures", opt(n.failures)},
  };
}

json run_json(const store::Run& r, const std::optional<runner::Progress>& progress, const store::NodeSummary* nodes) {
  json duration = nullptr;
  if (r.start_time) {
    const auto end = r.end_time.value_or(common::now());
    duration = static_cast<double>(common::to_millis(end) - common::to_millis(*r.start_time)) / 1000.0;
  }
  json out = {
      {"id", r.id},
      {"job_id", r.job_id},
      {"project_id", r.project_id},
      {"job_name", r.job_name},
      {"project_name", r.project_name},
      {"job_current_name", opt(r.job_current_name)},
      {"status", common::to_string(r.status)},
      {"triggered_by", r.triggered_by},
      {"command", r.command},
      {"command_override", opt(r.command_override)},
      {"retry_of", opt(r.retry_of)},
      {"git_commit", opt(r.git_commit)},
      {"daemon_id", opt(r.daemon_id)},
      {"created_at", common::to_rfc3339(r.created_at)},
      {"start_time", opt_time(r.start_time)},
      {"end_time", opt_time(r.end_time)},
      {"duration_seconds", duration},
      {"exit_code", opt(r.exit_code)},
      {"error_message", opt(r.error_message)},
      {"results", r.results},
      {"nothing_selected", r.nothing_selected},
      {"plan", r.plan},
      {"node_counts", json::object()},
      {"slowest_nodes", json::array()},
  };
  if (nodes) {
    for (const auto& [status, n] : nodes->counts) out["node_counts"][status] = n;
    for (const auto& n : nodes->slowest) {
      out["slowest_nodes"].push_back({{"unique_id", n.unique_id},
                                      {"name", n.name},
                                      {"resource_type", n.resource_type},
                                      {"execution_time", opt(n.execution_time)}});
    }
  }
  if (progress && (r.status == common::RunStatus::queued || r.status == common::RunStatus::running)) {
    out["progress"] = progress_json(*progress, common::now());
  }
  return out;
}

json warm_json(const std::string& mode, std::int64_t idle_seconds, const std::vector<runner::warm::WorkerInfo>& workers) {
  const auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json list = json::array();
  for (const auto& w : workers) {
    list.push_back({{"project_id", text(w.project_id)},
                    {"project", text(w.project_name)},
                    {"state", text(w.state)},
                    {"reason", text(w.reason)},
                    {"pid", w.pid},
                    {"rss_bytes", w.rss_bytes},
                    {"dbt_version", text(w.dbt_version)},
                    {"runs", w.runs},
                    {"started_at", text(w.started_at)},
                    {"last_used_at", text(w.last_used_at)}});
  }
  return {{"mode", mode}, {"idle_seconds", idle_seconds}, {"workers", list}};
}

}  // namespace dagctl::daemon::api
