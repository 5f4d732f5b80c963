#include "daemon/service/job_fields.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "common/limits.hpp"
#include "common/time.hpp"
#include "daemon/schedule/cron.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/field_checks.hpp"
#include "daemon/service/notification_fields.hpp"
#include "daemon/webhooks/signing.hpp"

namespace dagctl::daemon::service {

using nlohmann::json;

namespace {

constexpr const char* kAuthShapes =
    "field 'webhook_auth' must be null, {\"type\": \"none\"}, {\"type\": \"airflow_jwt\", \"token_url\": ..., "
    "\"username\": ..., \"password\": ...} or {\"type\": \"basic\", \"username\": ..., \"password\": ...}";

std::size_t auth_cap(const std::string& key) {
  return key == "token_url" ? common::limits::kUrl : key == "username" ? common::limits::kAuthUsername : common::limits::kAuthPassword;
}

std::optional<std::string> parse_schedule(const json& value) {
  if (value.is_null()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  check_length("schedule", text, common::limits::kSchedule);
  const auto expr = schedule::parse_cron(text);
  if (!expr) throw bad_request(expr.error());
  if (!schedule::next_fire(*expr, schedule::find_zone("UTC").value(), common::now())) {
    throw bad_request("schedule " + common::quote(text) + " never fires (no such date); check day and month");
  }
  return text;
}

std::vector<std::string> parse_events(const json& value) {
  static constexpr std::array<std::string_view, 4> kEvents = {"completed", "failed", "partial", "cancelled"};
  std::vector<std::string> events;
  for (const auto& e : value) {
    const bool known = e.is_string() &&
                       std::find(kEvents.begin(), kEvents.end(), e.get_ref<const std::string&>()) != kEvents.end();
    if (!known) {
      throw bad_request("webhook_events may hold only completed, failed, partial and cancelled; got " +
                        (e.is_string() ? common::quote(e.get_ref<const std::string&>()) : std::string("a JSON ") + e.type_name()));
    }
    // Each word once: the list is a set, and this bounds what is stored.
    if (std::find(events.begin(), events.end(), e.get<std::string>()) == events.end()) events.push_back(e);
  }
  return events;
}

// Airflow 3's base URL for per-model asset events (docs/airflow.md#per-model-assets); null: off.
std::optional<std::string> parse_airflow_assets_url(const json& value, const webhooks::TargetPolicy& targets) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_string()) {
    throw bad_request(std::string("field 'airflow_assets_url' must be Airflow 3's base URL (a string) or null, not ") +
                      value.type_name());
  }
  const auto& text = value.get_ref<const std::string&>();
  const auto url = webhooks::check_url(text, "airflow_assets_url", targets);
  if (!url) throw bad_request(url.error());
  std::string path = url->target;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const bool api_path = path.size() >= 7 && (path.ends_with("/api/v2") || path.ends_with("/api/v1"));
  // A fragment would swallow the /api/v2/... paths appended to the base URL.
  if (path.find('?') != std::string::npos || text.find('#') != std::string::npos || api_path) {
    throw bad_request("airflow_assets_url must be Airflow 3's base URL without a query, fragment or /api/v2 (e.g. "
                      "http://localhost:8080); got " + common::quote(text));
  }
  return text;
}

}  // namespace

// null or {"type": "none"} clears; {"type": "airflow_jwt", "token_url", "username",
// "password"} (Airflow 3); {"type": "basic", "username", "password"} (Airflow 2's /api/v1,
// or any receiver behind HTTP Basic auth: unlike a custom header, the password is never shown).
json parse_webhook_auth(const json& value, const webhooks::TargetPolicy& targets) {
  if (value.is_null()) return nullptr;
  if (!value.is_object() || !value.contains("type") || !value["type"].is_string()) throw bad_request(kAuthShapes);
  const std::string type = value["type"];
  if (type == "none") return nullptr;
  std::vector<std::string> fields;
  if (type == "airflow_jwt") {
    fields = {"token_url", "username", "password"};
  } else if (type == "basic") {
    fields = {"username", "password"};
  } else {
    throw bad_request("webhook_auth type " + common::quote(type) + " is unknown; use airflow_jwt, basic or none");
  }
  for (const auto& [k, v] : value.items()) {
    if (k == "type") continue;
    if (std::find(fields.begin(), fields.end(), k) == fields.end()) {
      throw bad_request("unknown webhook_auth field " + common::quote(k) + "; " + type + " takes " +
                        (type == "basic" ? "username, password" : "token_url, username, password"));
    }
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      throw bad_request("webhook_auth field '" + k + "' must be a non-empty string");
    }
    check_length("webhook_auth." + k, v.get_ref<const std::string&>(), auth_cap(k));
  }
  for (const auto& k : fields) {
    if (!value.contains(k)) throw bad_request("webhook_auth of type " + type + " needs '" + k + "'");
  }
  if (type == "basic" && value["username"].get_ref<const std::string&>().find(':') != std::string::npos) {
    throw bad_request("webhook_auth username must not contain ':' (HTTP Basic auth separates it from the password with one)");
  }
  if (type == "airflow_jwt") {
    const auto url = webhooks::check_url(value["token_url"].get_ref<const std::string&>(), "webhook_auth.token_url", targets);
    if (!url) throw bad_request(url.error() + " (Airflow's is http(s)://HOST:PORT/auth/token)");
  }
  return value;
}

void apply_job_fields(store::Job& job, const json& fields, const JobFieldRules& rules) {
  if (!rules.check_command) throw std::logic_error("apply_job_fields needs a command check");
  if (!fields.is_object()) throw bad_request("the body must be a JSON object of job fields");
  auto want = [&](const std::string& key, bool ok, const char* expected) {
    if (!ok) throw bad_request("field '" + key + "' must be " + expected + ", not " + fields.at(key).type_name());
  };
  for (const auto& [key, value] : fields.items()) {
    if (key == "name") {
      want(key, value.is_string(), "a string");
      check_name("job name", value.get_ref<const std::string&>());
      job.name = value.get<std::string>();
    } else if (key == "command") {
      want(key, value.is_string(), "a string");
      rules.check_command(value.get<std::string>());
      job.command = value.get<std::string>();
    } else if (key == "schedule") {
      want(key, value.is_null() || value.is_string(), "a cron expression string or null");
      job.schedule = parse_schedule(value);
    } else if (key == "timezone") {
      want(key, value.is_null() || value.is_string(), "an IANA time zone name (e.g. Europe/Berlin) or null");
      if (value.is_string()) {
        check_length("timezone", value.get_ref<const std::string&>(), common::limits::kTimezone);
        const auto zone = schedule::find_zone(value.get_ref<const std::string&>());
        if (!zone) throw bad_request(zone.error());
      }
      job.timezone = value.is_null() ? std::nullopt : std::optional(value.get<std::string>());
    } else if (key == "timeout_seconds") {
      want(key, value.is_null() || value.is_number_integer(), "a whole number of seconds or null");
      if (value.is_number_integer()) {
        // Unsigned apart: 2^64-1 read as a signed number would be -1.
        constexpr std::uint64_t kWeek = 7 * 86400;
        const bool in_range = value.is_number_unsigned()
                                  ? value.get<std::uint64_t>() >= 1 && value.get<std::uint64_t>() <= kWeek
                                  : value.get<std::int64_t>() >= 1 && value.get<std::int64_t>() <= std::int64_t{kWeek};
        if (!in_range) throw bad_request("field 'timeout_seconds' must be between 1 and 604800 (a week), or null for none");
      }
      job.timeout_seconds = value.is_null() ? std::nullopt : std::optional(value.get<int>());
    } else if (key == "enabled" || key == "catchup" || key == "webhook_enabled") {
      want(key, value.is_boolean(), "true or false");
      (key == "enabled" ? job.enabled : key == "catchup" ? job.catchup : job.webhook_enabled) = value.get<bool>();
    } else if (key == "webhook_url") {
      want(key, value.is_null() || value.is_string(), "an http(s) URL string or null");
      std::optional<std::string> url;
      if (value.is_string()) {
        const auto checked = webhooks::check_url(value.get_ref<const std::string&>(), "webhook_url", rules.targets);
        if (!checked) throw bad_request(checked.error());
        url = value.get<std::string>();
      }
      // A new URL gets a new secret (docs/webhooks.md): the old receiver cannot verify the new one.
      if (url && (url != job.webhook_url || !job.webhook_secret)) job.webhook_secret = webhooks::generate_secret();
      job.webhook_url = url;
    } else if (key == "webhook_headers") {
      want(key, value.is_object(), "an object of header name to string value");
      if (auto error = webhooks::check_headers(value)) throw bad_request(*error);
      job.webhook_headers = value;
    } else if (key == "webhook_auth") {
      job.webhook_auth = parse_webhook_auth(value, rules.targets);
    } else if (key == "airflow_assets_url") {
      job.airflow_assets_url = parse_airflow_assets_url(value, rules.targets);
    } else if (key == "webhook_events") {
      want(key, value.is_array(), "an array of event words");
      job.webhook_events = parse_events(value);
    } else if (key == "notifications") {
      job.notifications = parse_notifications(value, job.notifications, rules.targets);  // docs/notifications.md
    } else {
      throw bad_request("unknown field " + common::quote(key) +
                        "; job fields are name, command, schedule, timezone, timeout_seconds, "
                        "enabled, catchup, webhook_enabled, webhook_url, webhook_headers, webhook_events, webhook_auth, "
                        "notifications, airflow_assets_url");
    }
  }
}

}  // namespace dagctl::daemon::service
