// What the store keeps. Plain values; the API decides how they look as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/run_status.hpp"
#include "common/time.hpp"

namespace dagctl::daemon::store {

using common::RunStatus;
using common::TimePoint;

struct Organization {
  std::string id;
  std::string name;
};

struct Project {
  std::string id;
  std::string org_id;
  std::string name;
  std::string type = "dbt";  // "dbt" or "sqlmesh" (docs/sqlmesh.md)
  std::string path;          // absolute project directory (holds dbt_project.yml or SQLMesh's config)
  std::string profiles_dir;  // empty: dbt's own default
  std::string target;        // empty: the profile's default target
  std::string executable;    // its dbt (or sqlmesh); empty: the daemon's --dbt (--sqlmesh)
  std::map<std::string, std::string> env;
  bool warm = true;  // runs may be forked by a warm dbt worker (docs/runs.md#warm-workers)
  // Where its runs' OpenLineage events go (docs/openlineage.md); nullopt: the daemon's
  // --openlineage-url; "" : none for this project.
  std::optional<std::string> openlineage_url;
  // A project from git (docs/api.md#projects-from-git): its repository as given, the ref
  // its runs follow (branch, tag or commit) and the project's folder inside it. When
  // git_url is set, `path` is empty: each daemon runs from its own checkout.
  std::optional<std::string> git_url;
  std::optional<std::string> git_ref;
  std::optional<std::string> git_subdir;
  TimePoint created_at;
};

struct Job {
  std::string id;
  std::string project_id;
  std::string name;
  std::string command = "dbt build";
  std::optional<std::string> schedule;
  std::optional<std::string> timezone;
  std::optional<int> timeout_seconds;
  bool enabled = true;
  bool catchup = true;
  bool webhook_enabled = false;
  std::optional<std::string> webhook_url;
  nlohmann::json webhook_headers = nlohmann::json::object();
  std::vector<std::string> webhook_events;
  std::optional<std::string> webhook_secret;  // whsec_...; never leaves the daemon over TCP
  nlohmann::json webhook_auth = nullptr;      // {"type":"airflow_jwt", token_url, username, password}
  // Alerts beside the webhook (docs/notifications.md): [{"kind":"slack","url":...,"events":[...]}].
  nlohmann::json notifications = nlohmann::json::array();
  // Airflow 3's base URL for an asset event per model built (docs/airflow.md#per-model-assets).
  std::optional<std::string> airflow_assets_url;
  // Fire times up to here are handled (fired, skipped or deliberately missed).
  std::optional<TimePoint> schedule_checked_at;
  std::optional<TimePoint> last_fire_at;
  std::optional<std::string> last_fire_outcome;  // "started run ...", "skipped: ..."
  TimePoint created_at;
  TimePoint updated_at;
};

struct Run {
  std::string id;
  std::int64_t seq = 0;  // insertion order: the queue's order and "newest first"
  std::string job_id;
  std::string project_id;
  std::string job_name;  // the run's own name: "<job>-<triggered_by>-<stamp>"
  RunStatus status = RunStatus::queued;
  std::string triggered_by = "manual";
  std::string command;
  std::optional<std::string> command_override;
  std::optional<std::string> retry_of;  // the run whose failures this one retries
  TimePoint created_at;
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> end_time;
  std::optional<int> exit_code;
  std::optional<std::string> error_message;
  nlohmann::json results = nlohmann::json::object();
  bool nothing_selected = false;  // ended having selected no nodes (docs/runs.md)
  nlohmann::json plan = nullptr;  // a SQLMesh plan's summary (docs/sqlmesh.md, Plans)
  // The dbt process while running, so a restarted daemon can stop a left-over one.
  int pid = 0;
  std::int64_t pid_start_ticks = 0;
  // The daemon that runs or ran it (docs/runs.md, Several daemons); nullopt before it started.
  std::optional<std::string> daemon_id;
  // Read with the run, never written: the names its project and job have now.
  std::string project_name;
  std::optional<std::string> job_current_name;  // nullopt once the job is deleted
  // The commit a project from git ran (docs/api.md#projects-from-git); a retry's is set
  // at insert to its source's, others' by the executor before dbt starts.
  std::optional<std::string> git_commit;
  // While it runs on a daemon sharing the store, what it is doing, as that daemon last
  // stored it (runner/progress.hpp reads it).
  std::optional<std::string> progress_json;
};

// What a token may do over TCP (docs/api.md, Token scopes). Ordered: each scope includes
// the ones before it.
enum class TokenScope { read, trigger, admin };

inline const char* to_string(TokenScope scope) {
  switch (scope) {
    case TokenScope::read: return "read";
    case TokenScope::trigger: return "trigger";
    case TokenScope::admin: return "admin";
  }
  return "read";
}

inline std::optional<TokenScope> parse_token_scope(std::string_view text) {
  if (text == "read") return TokenScope::read;
  if (text == "trigger") return TokenScope::trigger;
  if (text == "admin") return TokenScope::admin;
  return std::nullopt;
}

struct Token {
  std::string id;
  std::string org_id;
  std::string name;
  std::string secret_sha256;  // hex; the secret itself is never stored
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> last_used_at;
  std::optional<TimePoint> revoked_at;
  TokenScope scope = TokenScope::read;
};

// One webhook owed to a job's URL: stored before the first attempt (the outbox), with the
// exact body that every attempt sends.
// What a delivery is (docs/webhooks.md#kinds-of-delivery): each kind is built and sent
// its own way; the outbox, retries, log and resend are the same for all.
namespace delivery_kind {
inline constexpr const char* webhook = "webhook";
inline constexpr const char* slack = "slack";
inline constexpr const char* openlineage = "openlineage";
inline constexpr const char* airflow_asset = "airflow_asset";
}  // namespace delivery_kind

struct Delivery {
  std::string id;  // the same on every attempt (X-Dagctl-Delivery, webhook-id)
  std::int64_t seq = 0;
  std::string kind = delivery_kind::webhook;
  std::string job_id;
  std::optional<std::string> run_id;
  std::string event;
  std::string url;
  std::string body;
  std::string status = "pending";  // pending, delivered, failed
  int attempts = 0;
  TimePoint next_attempt_at;
  TimePoint created_at;
  std::optional<TimePoint> finished_at;
  std::optional<std::string> last_error;
};

struct DeliveryAttempt {
  TimePoint at;
  std::optional<int> status_code;
  std::int64_t latency_ms = 0;
  std::optional<std::string> error;
  std::string response_excerpt;  // first 1 KiB
};

// One dbt node of a run (docs/runs.md, Node records). `status` is dbt's own word
// (success, error, fail, warn, pass, skipped, no-op) or ours: running, interrupted.
struct NodeRecord {
  std::string unique_id;      // "model.shop.stg_books"
  std::string name;           // "stg_books"
  std::string resource_type;  // "model", "test", "seed"...
  std::string status;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  std::optional<double> execution_time;  // seconds, dbt's
  std::optional<std::string> thread;
  std::optional<std::int64_t> rows_affected;
  std::optional<std::string> adapter_response;  // JSON text, as dbt logged it
  std::optional<std::string> message;           // capped at kMaxNodeMessage
  std::optional<std::int64_t> failures;
  bool operator==(const NodeRecord&) const = default;
};
constexpr size_t kMaxNodeMessage = 64 * 1024;

// What a run's JSON shows of its nodes: how many per status, the slowest finished ones.
struct NodeSummary {
  std::vector<std::pair<std::string, int>> counts;  // by status, only those present
  std::vector<NodeRecord> slowest;                  // at most 5, slowest first
};

// One run of a node, for its history across runs.
struct NodeRun {
  std::string run_id;
  std::string job_id;
  std::string job_name;
  RunStatus run_status = RunStatus::queued;
  NodeRecord node;
};

struct RunFilter {
  std::optional<std::string> job_id;
  std::optional<std::string> project_id;
  std::vector<RunStatus> statuses;       // any of these; empty: every status
  std::optional<TimePoint> created_since;  // created at or after
  std::optional<std::string> id_prefix;  // ids that start with it
  std::optional<std::int64_t> before_seq;
  std::vector<std::string> triggered_by;     // any of these; empty: every trigger
  std::optional<TimePoint> created_until;    // created before
  int limit = 20;
};

// A job's newest run, as its job shows it (docs/api.md, Jobs: last_run).
struct RunBrief {
  std::string id;
  RunStatus status = RunStatus::queued;
  TimePoint created_at;
  std::optional<TimePoint> end_time;
};

}  // namespace dagctl::daemon::store
