#include "daemon/service.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "common/dbt_command.hpp"
#include "common/random.hpp"
#include "daemon/errors.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/schedule/cron.hpp"
#include "daemon/webhooks/signing.hpp"

namespace dagctl::daemon {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void check_name(const std::string& what, const std::string& name) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  if (!std::regex_match(name, kName)) {
    throw bad_request(what + " '" + name +
                      "' is not valid: use 1-64 letters, digits, '_', '.' or '-', starting with "
                      "a letter or digit");
  }
}

std::string type_name(const json& v) { return v.type_name(); }

// null or {"type": "none"} clears; {"type": "airflow_jwt", "token_url", "username",
// "password"} (Airflow 3); {"type": "basic", "username", "password"} (Airflow 2's /api/v1,
// or any receiver behind HTTP Basic auth: unlike a custom header, the password is never shown).
json parse_webhook_auth(const json& value) {
  if (value.is_null()) return nullptr;
  if (!value.is_object() || !value.contains("type") || !value["type"].is_string()) {
    throw bad_request("field 'webhook_auth' must be null, {\"type\": \"none\"}, {\"type\": \"airflow_jwt\", "
                      "\"token_url\": ..., \"username\": ..., \"password\": ...} or {\"type\": \"basic\", "
                      "\"username\": ..., \"password\": ...}");
  }
  const std::string type = value["type"];
  if (type == "none") return nullptr;
  std::vector<std::string> fields;
  if (type == "airflow_jwt") {
    fields = {"token_url", "username", "password"};
  } else if (type == "basic") {
    fields = {"username", "password"};
  } else {
    throw bad_request("webhook_auth type '" + type + "' is unknown; use airflow_jwt, basic or none");
  }
  for (const auto& [k, v] : value.items()) {
    if (k != "type" && std::find(fields.begin(), fields.end(), k) == fields.end()) {
      throw bad_request("unknown webhook_auth field '" + k + "'; " + type + " takes " +
                        (type == "basic" ? "username, password" : "token_url, username, password"));
    }
    if (!v.is_string() || v.get<std::string>().empty()) throw bad_request("webhook_auth field '" + k + "' must be a non-empty string");
  }
  for (const auto& k : fields) {
    if (!value.contains(k)) throw bad_request("webhook_auth of type " + type + " needs '" + k + "'");
  }
  if (type == "basic" && value["username"].get<std::string>().find(':') != std::string::npos) {
    throw bad_request("webhook_auth username must not contain ':' (HTTP Basic auth separates it from the password with one)");
  }
  if (type == "airflow_jwt") {
    const std::string url = value["token_url"];
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      throw bad_request("webhook_auth token_url must be Airflow's http(s)://HOST:PORT/auth/token");
    }
  }
  return value;
}

// Applies the job fields of a create or PATCH body to `job`, checking each one.
void apply_job_fields(store::Job& job, const json& fields) {
  if (!fields.is_object()) throw bad_request("the body must be a JSON object of job fields");
  auto want = [&](const std::string& key, bool ok, const char* expected) {
    if (!ok) {
      throw bad_request("field '" + key + "' must be " + expected + ", not " +
                        type_name(fields.at(key)));
    }
  };
  for (const auto& [key, value] : fields.items()) {
    if (key == "name") {
      want(key, value.is_string(), "a string");
      check_name("job name", value.get<std::string>());
      job.name = value.get<std::string>();
    } else if (key == "command") {
      want(key, value.is_string(), "a string");
      auto words = common::validate_dbt_command(value.get<std::string>(), "command");
      if (!words) throw bad_request(words.error());
      job.command = value.get<std::string>();
    } else if (key == "schedule") {
      want(key, value.is_null() || value.is_string(), "a cron expression string or null");
      std::optional<std::string> schedule;
      if (value.is_string()) {
        const auto expr = schedule::parse_cron(value.get<std::string>());
        if (!expr) throw bad_request(expr.error());
        if (!schedule::next_fire(*expr, schedule::find_zone("UTC").value(), common::now())) {
          throw bad_request("schedule '" + value.get<std::string>() + "' never fires (no such date); check day and month");
        }
        schedule = value.get<std::string>();
      }
      job.schedule = schedule;
    } else if (key == "timezone") {
      want(key, value.is_null() || value.is_string(), "an IANA time zone name (e.g. Europe/Berlin) or null");
      if (value.is_string()) {
        const auto zone = schedule::find_zone(value.get<std::string>());
        if (!zone) throw bad_request(zone.error());
      }
      job.timezone = value.is_null() ? std::nullopt : std::optional(value.get<std::string>());
    } else if (key == "timeout_seconds") {
      want(key, value.is_null() || value.is_number_integer(), "a whole number of seconds or null");
      if (value.is_number_integer() && (value.get<long long>() < 1 || value.get<long long>() > 7 * 86400)) {
        throw bad_request("field 'timeout_seconds' must be between 1 and 604800 (a week), or null for none");
      }
      job.timeout_seconds = value.is_null() ? std::nullopt : std::optional(value.get<int>());
    } else if (key == "enabled" || key == "catchup" || key == "webhook_enabled") {
      want(key, value.is_boolean(), "true or false");
      (key == "enabled" ? job.enabled : key == "catchup" ? job.catchup : job.webhook_enabled) =
          value.get<bool>();
    } else if (key == "webhook_url") {
      want(key, value.is_null() || value.is_string(), "an http(s) URL string or null");
      std::optional<std::string> url;
      if (value.is_string()) {
        static const std::regex kUrl(R"(^https?://[^/?#\s@]+(/[^\s]*)?$)");
        url = value.get<std::string>();
        if (!std::regex_match(*url, kUrl) || url->find_first_of("\r\n\t") != std::string::npos) {
          throw bad_request("field 'webhook_url' must be an http:// or https:// URL with a host, e.g. "
                            "http://127.0.0.1:8080/api/v2/dags/downstream/dagRuns");
        }
      }
      // A new URL gets a new secret (CONTRACT §8): the old receiver cannot verify the new one.
      if (url && (url != job.webhook_url || !job.webhook_secret)) job.webhook_secret = webhooks::generate_secret();
      job.webhook_url = url;
    } else if (key == "webhook_headers") {
      want(key, value.is_object(), "an object of header name to string value");
      static const std::regex kToken("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$");
      std::set<std::string> seen;
      for (const auto& [name, v] : value.items()) {
        if (!std::regex_match(name, kToken)) {
          throw bad_request("webhook header name '" + name + "' is not a valid HTTP header name");
        }
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        if (!seen.insert(lower).second) {
          throw bad_request("webhook header '" + name + "' is given twice (header names ignore case)");
        }
        if (lower == "content-type" || lower == "host" || lower == "content-length" ||
            lower.rfind("x-dagctl-", 0) == 0 || lower.rfind("webhook-", 0) == 0) {
          throw bad_request("webhook header '" + name +
                            "' is set by dagctl itself and cannot be configured (reserved: Content-Type, Host, "
                            "Content-Length, X-Dagctl-*, webhook-*)");
        }
        if (!v.is_string()) throw bad_request("webhook header '" + name + "' must have a string value");
        if (v.get<std::string>().find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
          throw bad_request("webhook header '" + name + "' has a line break or NUL in its value");
        }
      }
      job.webhook_headers = value;
    } else if (key == "webhook_auth") {
      job.webhook_auth = parse_webhook_auth(value);
    } else if (key == "webhook_events") {
      want(key, value.is_array(), "an array of event words");
      std::vector<std::string> events;
      for (const auto& e : value) {
        static const std::set<std::string> kEvents = {"completed", "failed", "partial", "cancelled"};
        if (!e.is_string() || !kEvents.count(e.get<std::string>())) {
          throw bad_request("webhook_events may hold only completed, failed, partial and cancelled; got " + e.dump());
        }
        events.push_back(e.get<std::string>());
      }
      job.webhook_events = events;
    } else {
      throw bad_request("unknown field '" + key +
                        "'; job fields are name, command, schedule, timezone, timeout_seconds, "
                        "enabled, catchup, webhook_enabled, webhook_url, webhook_headers, webhook_events, webhook_auth");
    }
  }
}

}  // namespace

Service::Service(store::Store& store, runner::Dispatcher& dispatcher, webhooks::Outbox& outbox, DaemonInfo info)
    : store_(store),
      dispatcher_(dispatcher),
      outbox_(outbox),
      info_(std::move(info)),
      org_(store.default_organization()) {}

std::string Service::webhook_secret(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  if (!job.webhook_secret) {
    throw not_found("job '" + job.name + "' has no webhook yet; set one with dagctl job update JOB --webhook-url URL");
  }
  return *job.webhook_secret;
}

std::vector<store::Delivery> Service::deliveries(const std::string& project_id, const std::string& job_id, int limit) {
  return store_.list_deliveries(get_job(project_id, job_id).id, limit);
}

store::Delivery Service::redeliver(const std::string& delivery_id) {
  const auto existing = store_.find_delivery(delivery_id);
  if (!existing) throw not_found("no delivery '" + delivery_id + "'; list them with dagctl webhook deliveries JOB");
  if (existing->status == "pending") {
    throw conflict("delivery " + delivery_id + " is still pending (being sent or waiting for its retry); "
                   "resend it once it is delivered or failed");
  }
  store_.requeue_delivery(delivery_id, common::now());
  outbox_.notify();
  return *store_.find_delivery(delivery_id);
}

store::Delivery Service::test_webhook(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  if (!job.webhook_url) {
    throw conflict("job '" + job.name + "' has no webhook_url; set one with dagctl job update JOB --webhook-url URL");
  }
  const auto delivery = outbox_.test_delivery(job, get_project(project_id));
  store_.insert_delivery(delivery);
  outbox_.notify();
  return delivery;
}

store::Project Service::add_project(const ProjectSpec& spec) {
  if (spec.path.empty()) throw bad_request("'path' is required: the folder that holds dbt_project.yml");
  std::error_code ec;
  const fs::path path = fs::canonical(spec.path, ec);
  if (ec || !fs::is_directory(path)) {
    throw bad_request("no folder at '" + spec.path + "'; pass the path of a dbt project");
  }
  if (!fs::exists(path / "dbt_project.yml")) {
    throw bad_request("'" + path.string() + "' has no dbt_project.yml; pass the folder of a dbt project");
  }
  store::Project p;
  p.id = common::uuid4();
  p.org_id = org_.id;
  p.name = spec.name.value_or(path.filename().string());
  check_name("project name", p.name);
  p.path = path.string();
  if (!spec.profiles_dir.empty()) {
    const fs::path profiles = fs::absolute(spec.profiles_dir, ec);
    if (ec || !fs::is_directory(profiles)) {
      throw bad_request("--profiles-dir '" + spec.profiles_dir + "' is not a folder");
    }
    p.profiles_dir = fs::canonical(profiles).string();
  }
  p.target = spec.target;
  p.dbt = spec.dbt;
  for (const auto& [k, v] : spec.env) {
    static const std::regex kVar("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(k, kVar)) throw bad_request("env name '" + k + "' is not a valid variable name");
    if (v.find('\0') != std::string::npos) throw bad_request("env value of '" + k + "' holds a NUL byte");
  }
  p.env = spec.env;
  p.created_at = common::now();

  store::Job job;
  job.id = common::uuid4();
  job.project_id = p.id;
  job.name = "default";
  job.command = "dbt build";
  job.created_at = job.updated_at = p.created_at;
  try {
    store_.create_project(p, {job});
  } catch (const store::StoreError& e) {
    throw conflict(e.what());
  }
  return p;
}

store::Project Service::get_project(const std::string& id_or_name) {
  auto p = store_.find_project(id_or_name);
  if (!p) throw not_found("no project '" + id_or_name + "'; list them with dagctl project list");
  return *p;
}

void Service::remove_project(const std::string& id_or_name) {
  const auto p = get_project(id_or_name);
  try {
    store_.delete_project(p.id);
  } catch (const store::StoreError& e) {
    throw e.kind() == store::StoreError::Kind::conflict ? conflict(e.what()) : not_found(e.what());
  }
  jobs_changed();  // its jobs are gone too
}

std::vector<store::Job> Service::list_jobs(const std::string& project_id) {
  return store_.list_jobs(get_project(project_id).id);
}

store::Job Service::get_job(const std::string& project_id, const std::string& job_id) {
  const auto project = get_project(project_id);
  auto job = store_.find_job(job_id);
  if (!job) job = store_.find_job_by_name(project.id, job_id);
  if (!job || job->project_id != project.id) {
    throw not_found("project '" + project.name + "' has no job '" + job_id +
                    "'; list them with dagctl job list --project " + project.name);
  }
  return *job;
}

store::Job Service::create_job(const std::string& project_id, const json& fields) {
  const auto project = get_project(project_id);
  if (!fields.is_object() || !fields.contains("name") || !fields.contains("command")) {
    throw bad_request("a new job needs 'name' and 'command', e.g. {\"name\": \"nightly\", \"command\": \"dbt build\"}");
  }
  store::Job job;
  apply_job_fields(job, fields);
  job.id = common::uuid4();
  job.project_id = project.id;
  job.created_at = job.updated_at = common::now();
  job.schedule_checked_at = job.created_at;  // no fire time before the job existed
  try {
    store_.create_job(job);
  } catch (const store::StoreError& e) {
    throw conflict(e.what());
  }
  jobs_changed();
  return job;
}

store::Job Service::update_job(const std::string& project_id, const std::string& job_id,
                               const json& fields) {
  store::Job job = get_job(project_id, job_id);
  const store::Job before = job;
  apply_job_fields(job, fields);
  job.updated_at = common::now();
  // The scheduler owns these columns; a new schedule, zone or re-enabling starts them
  // afresh (no catch-up for fire times of the old settings).
  job.last_fire_at.reset();
  job.last_fire_outcome.reset();
  job.schedule_checked_at.reset();
  if (job.schedule != before.schedule || job.timezone != before.timezone || (job.enabled && !before.enabled)) {
    job.schedule_checked_at = job.updated_at;
  }
  try {
    store_.update_job(job);
  } catch (const store::StoreError& e) {
    throw e.kind() == store::StoreError::Kind::conflict ? conflict(e.what()) : not_found(e.what());
  }
  jobs_changed();
  return get_job(project_id, job.id);
}

void Service::delete_job(const std::string& project_id, const std::string& job_id) {
  const auto job = get_job(project_id, job_id);
  try {
    store_.delete_job(job.id);
  } catch (const store::StoreError& e) {
    throw e.kind() == store::StoreError::Kind::conflict ? conflict(e.what()) : not_found(e.what());
  }
  jobs_changed();
}

store::Run Service::trigger(const std::string& project_id, const std::string& job_id,
                            const std::optional<std::string>& command_override,
                            const std::string& triggered_by) {
  const auto job = get_job(project_id, job_id);
  if (command_override) {
    auto words = common::validate_dbt_command(*command_override, "command_override");
    if (!words) throw bad_request(words.error());
  }
  return enqueue(job, triggered_by, command_override.value_or(job.command), command_override, std::nullopt);
}

store::Run Service::enqueue(const store::Job& job, const std::string& triggered_by, const std::string& command,
                            const std::optional<std::string>& command_override,
                            const std::optional<std::string>& retry_of) {
  store::Run run;
  run.id = common::uuid4();
  run.job_id = job.id;
  run.project_id = job.project_id;
  run.created_at = common::now();
  run.job_name = job.name + "-" + triggered_by + "-" + common::to_compact_stamp(run.created_at);
  run.status = common::RunStatus::queued;
  run.triggered_by = triggered_by;
  run.command = command;
  run.command_override = command_override;
  run.retry_of = retry_of;
  try {
    store_.insert_run(run, kMaxQueuedPerJob);
  } catch (const store::StoreError& e) {
    if (e.kind() == store::StoreError::Kind::not_found) throw not_found(e.what());
    throw UserError(429, "queue_full", e.what());
  }
  dispatcher_.wake();
  return run;
}

store::Run Service::get_run(const std::string& run_id) {
  auto run = store_.find_run(run_id);
  if (!run) throw not_found("no run '" + run_id + "'; list runs with dagctl runs");
  return *run;
}

store::Run Service::cancel_run(const std::string& run_id) {
  const auto run = get_run(run_id);
  if (!common::is_terminal(run.status)) dispatcher_.cancel(run_id);
  return get_run(run_id);
}

store::Run Service::retry_run(const std::string& run_id) {
  const auto failed = get_run(run_id);
  if (failed.status != common::RunStatus::failed && failed.status != common::RunStatus::partial &&
      failed.status != common::RunStatus::error) {
    throw conflict("run " + run_id + " is " + std::string(common::to_string(failed.status)) +
                   "; only a failed, partial or error run can be retried");
  }
  if (!fs::exists(runner::run_target_dir(info_.data_dir, run_id) + "/run_results.json")) {
    throw conflict("run " + run_id +
                   " left no run_results.json, so dbt retry has nothing to resume; trigger the job again instead");
  }
  const auto job = store_.find_job(failed.job_id);
  if (!job) throw not_found("the job of run " + run_id + " was deleted");
  return enqueue(*job, "retry", "dbt retry", std::nullopt, failed.id);
}

}  // namespace dagctl::daemon
