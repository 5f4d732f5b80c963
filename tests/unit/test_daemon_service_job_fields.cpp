// Job fields of a create or PATCH body (docs/api.md, caps in docs/limits.md): every field
// against what a hostile caller sends. Each refusal is a 400 that names the field and
// stays small whatever the value was.
#include "daemon/service/job_fields.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/dbt_command.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/notification_fields.hpp"

namespace dagctl::daemon::service {
namespace {

using nlohmann::json;

const std::string k200k(200 * 1024, 'a');

JobFieldRules rules() {
  JobFieldRules r;
  r.check_command = [](const std::string& command) {
    auto words = common::validate_dbt_command(command, "command");
    if (!words) throw bad_request(words.error());
  };
  r.targets = webhooks::make_policy(false, "127.0.0.1:8780");
  return r;
}

// The error of applying `fields` to a fresh job, or "" when it was accepted.
std::string error_of(const json& fields) {
  store::Job job;
  try {
    apply_job_fields(job, fields, rules());
  } catch (const UserError& e) {
    EXPECT_EQ(e.http_status(), 400);
    return e.what();
  }
  return "";
}

struct Row {
  std::string label;
  json fields;
  std::string must_contain;  // "" = accepted
};

void run_table(const std::vector<Row>& rows) {
  for (const auto& r : rows) {
    SCOPED_TRACE(r.label);
    const std::string error = error_of(r.fields);
    if (r.must_contain.empty()) {
      EXPECT_EQ(error, "");
      continue;
    }
    ASSERT_NE(error, "") << "accepted";
    EXPECT_NE(error.find(r.must_contain), std::string::npos) << error;
    EXPECT_LT(error.size(), 700u) << error.substr(0, 200);
    EXPECT_EQ(error.find(std::string(100, 'a')), std::string::npos) << "the value is echoed";
  }
}

TEST(JobFields, Names) {
  run_table({
      {"plain", {{"name", "nightly"}}, ""},
      {"all allowed characters", {{"name", "a1_b.c-d"}}, ""},
      {"64 characters", {{"name", std::string(64, 'n')}}, ""},
      {"65 characters", {{"name", std::string(65, 'n')}}, "job name"},
      {"empty", {{"name", ""}}, "job name"},
      {"200 KB", {{"name", k200k}}, "1-64 letters"},
      {"NUL", {{"name", std::string("a\0b", 3)}}, "job name"},
      {"newline", {{"name", "a\nb"}}, "job name"},
      {"U+2028", {{"name", "a\u2028b"}}, "job name"},
      {"U+FEFF", {{"name", "\ufeffa"}}, "job name"},
      {"zero width space", {{"name", "a\u200bb"}}, "job name"},
      {"leading dash", {{"name", "-a"}}, "job name"},
      {"slash", {{"name", "a/b"}}, "job name"},
      {"not a string", {{"name", 5}}, "field 'name' must be a string"},
  });
  EXPECT_NE(error_of({{"name", "a\tb"}}).find("\\x09"), std::string::npos) << "control bytes are shown escaped";
}

TEST(JobFields, CommandGoesThroughTheCommandCheck) {
  run_table({
      {"plain", {{"command", "dbt build --select a+"}}, ""},
      {"200 KB", {{"command", "dbt build --select " + k200k}}, "4096"},
      {"shell", {{"command", "dbt build; rm -rf /"}}, "command"},
      {"U+2028", {{"command", "dbt build\u2028"}}, "command"},
      {"not a string", {{"command", json::array()}}, "field 'command' must be a string"},
  });
  store::Job job;
  JobFieldRules unset;
  EXPECT_THROW(apply_job_fields(job, {{"command", "dbt build"}}, unset), std::logic_error);
}

TEST(JobFields, ScheduleAndTimezone) {
  run_table({
      {"cron", {{"schedule", "0 3 * * *"}}, ""},
      {"null", {{"schedule", nullptr}}, ""},
      {"never fires", {{"schedule", "0 0 30 2 *"}}, "never fires"},
      {"200 KB", {{"schedule", k200k}}, "the limit is 256"},
      {"257 bytes", {{"schedule", "0 3 * * *" + std::string(248, ' ')}}, "the limit is 256"},
      {"garbage", {{"schedule", "every day"}}, "schedule"},
      {"NUL", {{"schedule", std::string("0 3 * * *\0", 10)}}, "schedule"},
      {"number", {{"schedule", 5}}, "cron expression string or null"},
      {"zone", {{"timezone", "Europe/Berlin"}}, ""},
      {"zone null", {{"timezone", nullptr}}, ""},
      {"unknown zone", {{"timezone", "Mars/Olympus"}}, "time zone"},
      {"zone 200 KB", {{"timezone", k200k}}, "the limit is 64"},
      {"zone path", {{"timezone", "../../etc/passwd"}}, "time zone"},
      {"zone NUL", {{"timezone", std::string("UTC\0x", 5)}}, "time zone"},
  });
}

TEST(JobFields, TimeoutNumbers) {
  run_table({
      {"1", {{"timeout_seconds", 1}}, ""},
      {"a week", {{"timeout_seconds", 604800}}, ""},
      {"null", {{"timeout_seconds", nullptr}}, ""},
      {"0", {{"timeout_seconds", 0}}, "between 1 and 604800"},
      {"-5", {{"timeout_seconds", -5}}, "between 1 and 604800"},
      {"a week and a second", {{"timeout_seconds", 604801}}, "between 1 and 604800"},
      {"2^31", {{"timeout_seconds", 2147483648LL}}, "between 1 and 604800"},
      {"2^63-1", {{"timeout_seconds", 9223372036854775807LL}}, "between 1 and 604800"},
      {"-2^63", {{"timeout_seconds", INT64_MIN}}, "between 1 and 604800"},
      {"2^64-1", {{"timeout_seconds", UINT64_MAX}}, "between 1 and 604800"},
      {"fraction", {{"timeout_seconds", 1.5}}, "whole number"},
      {"1e300", {{"timeout_seconds", 1e300}}, "whole number"},
      {"string", {{"timeout_seconds", "60"}}, "whole number"},
      {"bool", {{"enabled", "yes"}}, "true or false"},
  });
  store::Job job;
  apply_job_fields(job, json::parse(R"({"timeout_seconds": 604800})"), rules());
  EXPECT_EQ(job.timeout_seconds, 604800);
  EXPECT_NE(error_of(json::parse(R"({"timeout_seconds": 18446744073709551615})")), "");
  EXPECT_NE(error_of(json::parse(R"({"timeout_seconds": -9223372036854775808})")), "");
}

TEST(JobFields, WebhookUrl) {
  run_table({
      {"loopback", {{"webhook_url", "http://127.0.0.1:8080/api/v2/dags/d/dagRuns"}}, ""},
      {"https name", {{"webhook_url", "https://airflow.example.com/x"}}, ""},
      {"null", {{"webhook_url", nullptr}}, ""},
      {"empty", {{"webhook_url", ""}}, "webhook_url is empty"},
      {"200 KB", {{"webhook_url", "http://" + k200k}}, "the limit is 2048"},
      {"200 KB path", {{"webhook_url", "http://h/" + k200k}}, "the limit is 2048"},
      {"ftp", {{"webhook_url", "ftp://example.com/x"}}, "http:// or https://"},
      {"userinfo", {{"webhook_url", "http://u:p@h/"}}, "user:password@"},
      {"CRLF", {{"webhook_url", "http://h/\r\nX: y"}}, "carriage return"},
      {"NUL", {{"webhook_url", std::string("http://h/\0", 10)}}, "NUL"},
      {"U+2028", {{"webhook_url", "http://h/\u2028"}}, "non-ASCII"},
      {"metadata", {{"webhook_url", "http://169.254.169.254/latest/meta-data/"}}, "--allow-webhook-link-local"},
      {"hex loopback", {{"webhook_url", "http://0x7f000001:8080/"}}, "dotted decimal"},
      {"decimal loopback", {{"webhook_url", "http://2130706433/"}}, "dotted decimal"},
      {"octal loopback", {{"webhook_url", "http://0177.0.0.1/"}}, "dotted decimal"},
      {"short loopback", {{"webhook_url", "http://127.1/"}}, "dotted decimal"},
      {"the daemon", {{"webhook_url", "http://127.0.0.1:8780/api/v1/runs"}}, "own API"},
      {"unspecified", {{"webhook_url", "http://0.0.0.0:8080/"}}, "cannot go there"},
      {"number", {{"webhook_url", 42}}, "http(s) URL string or null"},
  });
  store::Job job;
  apply_job_fields(job, {{"webhook_url", "http://127.0.0.1:9/a"}}, rules());
  const auto first = job.webhook_secret;
  ASSERT_TRUE(first);
  apply_job_fields(job, {{"webhook_url", "http://127.0.0.1:9/a"}}, rules());
  EXPECT_EQ(job.webhook_secret, first) << "the same URL keeps its secret";
  apply_job_fields(job, {{"webhook_url", "http://127.0.0.1:9/b"}}, rules());
  EXPECT_NE(job.webhook_secret, first) << "a new URL gets a new secret";
}

TEST(JobFields, AirflowAssetsUrl) {
  run_table({
      {"base URL", {{"airflow_assets_url", "http://127.0.0.1:8080"}}, ""},
      {"behind a path", {{"airflow_assets_url", "https://example.com/airflow/"}}, ""},
      {"null", {{"airflow_assets_url", nullptr}}, ""},
      {"empty", {{"airflow_assets_url", ""}}, "airflow_assets_url is empty"},
      {"ftp", {{"airflow_assets_url", "ftp://example.com"}}, "http:// or https://"},
      {"fragment", {{"airflow_assets_url", "http://example.com/x#frag"}}, "without a query, fragment"},
      {"metadata", {{"airflow_assets_url", "http://169.254.169.254/"}}, "--allow-webhook-link-local"},
      {"the daemon", {{"airflow_assets_url", "http://127.0.0.1:8780/"}}, "own API"},
      {"the API path", {{"airflow_assets_url", "http://127.0.0.1:8080/api/v2/"}}, "base URL"},
      {"a query", {{"airflow_assets_url", "http://127.0.0.1:8080/?x=1"}}, "base URL"},
      {"200 KB", {{"airflow_assets_url", "http://" + k200k}}, "the limit is 2048"},
      {"number", {{"airflow_assets_url", 8080}}, "base URL (a string) or null"},
  });
  store::Job job;
  apply_job_fields(job, {{"airflow_assets_url", "http://127.0.0.1:8080"}}, rules());
  EXPECT_EQ(job.airflow_assets_url, "http://127.0.0.1:8080");
  EXPECT_FALSE(job.webhook_secret) << "no webhook secret: asset events are not signed";
  apply_job_fields(job, {{"airflow_assets_url", nullptr}}, rules());
  EXPECT_FALSE(job.airflow_assets_url);
}

TEST(JobFields, WebhookHeaders) {
  json many = json::object();
  for (int i = 0; i < 33; ++i) many["X-H" + std::to_string(i)] = "v";
  run_table({
      {"authorization", {{"webhook_headers", {{"Authorization", "Basic dXNlcjpwYXNz"}, {"X-Team", "data"}}}}, ""},
      {"empty object", {{"webhook_headers", json::object()}}, ""},
      {"33 headers", {{"webhook_headers", many}}, "the limit is 32"},
      {"Transfer-Encoding", {{"webhook_headers", {{"Transfer-Encoding", "chunked"}}}}, "reserved"},
      {"Content-Length", {{"webhook_headers", {{"Content-Length", "0"}}}}, "reserved"},
      {"Host", {{"webhook_headers", {{"Host", "evil"}}}}, "reserved"},
      {"Connection", {{"webhook_headers", {{"Connection", "close"}}}}, "reserved"},
      {"Proxy-Authorization", {{"webhook_headers", {{"Proxy-Authorization", "x"}}}}, "reserved"},
      {"X-Dagctl-Event", {{"webhook_headers", {{"x-dagctl-event", "x"}}}}, "reserved"},
      {"webhook-id", {{"webhook_headers", {{"Webhook-Id", "x"}}}}, "reserved"},
      {"60 KB name", {{"webhook_headers", {{std::string(60 * 1024, 'a'), "x"}}}}, "the limit is 128"},
      {"200 KB value", {{"webhook_headers", {{"X-Big", k200k}}}}, "the limit is 4096"},
      {"CRLF value", {{"webhook_headers", {{"X-Ok", "a\r\nInjected: yes"}}}}, "line break or NUL"},
      {"NUL value", {{"webhook_headers", {{"X-Ok", std::string("a\0b", 3)}}}}, "line break or NUL"},
      {"U+2028 name", {{"webhook_headers", {{"X-\u2028", "x"}}}}, "not a valid HTTP header name"},
      {"twice", {{"webhook_headers", {{"X-A", "1"}, {"x-a", "2"}}}}, "given twice"},
      {"number value", {{"webhook_headers", {{"X-A", 1}}}}, "string value"},
      {"array", {{"webhook_headers", json::array()}}, "an object of header name"},
  });
}

TEST(JobFields, WebhookAuth) {
  const auto jwt = [](const std::string& url, const std::string& user, const std::string& password) {
    return json{{"webhook_auth", {{"type", "airflow_jwt"}, {"token_url", url}, {"username", user}, {"password", password}}}};
  };
  const auto basic = [](const std::string& user, const std::string& password) {
    return json{{"webhook_auth", {{"type", "basic"}, {"username", user}, {"password", password}}}};
  };
  run_table({
      {"jwt", jwt("http://127.0.0.1:8080/auth/token", "admin", "admin"), ""},
      {"basic", basic("dagctl", "s3cret:with colon"), ""},
      {"none", {{"webhook_auth", {{"type", "none"}}}}, ""},
      {"null", {{"webhook_auth", nullptr}}, ""},
      {"200 KB token_url", jwt("http://h/" + k200k, "a", "b"), "the limit is 2048"},
      {"metadata token_url", jwt("http://169.254.169.254/auth/token", "a", "b"), "--allow-webhook-link-local"},
      {"hex token_url", jwt("http://0x7f000001/auth/token", "a", "b"), "dotted decimal"},
      {"ftp token_url", jwt("ftp://h/auth/token", "a", "b"), "http:// or https://"},
      {"username 257", basic(std::string(257, 'u'), "p"), "the limit is 256"},
      {"password 1025", basic("u", std::string(1025, 'p')), "the limit is 1024"},
      {"password 200 KB", basic("u", k200k), "the limit is 1024"},
      {"username 256", basic(std::string(256, 'u'), std::string(1024, 'p')), ""},
      {"colon", basic("a:b", "c"), "must not contain ':'"},
      {"no password", {{"webhook_auth", {{"type", "basic"}, {"username", "a"}}}}, "needs 'password'"},
      {"empty password", basic("a", ""), "non-empty string"},
      {"200 KB type", {{"webhook_auth", {{"type", k200k}}}}, "is unknown"},
      {"200 KB field", {{"webhook_auth", {{"type", "basic"}, {k200k, "x"}}}}, "unknown webhook_auth field"},
      {"not an object", {{"webhook_auth", "basic"}}, "must be null"},
  });
}

TEST(JobFields, WebhookEventsAndUnknownFields) {
  run_table({
      {"events", {{"webhook_events", {"completed", "failed"}}}, ""},
      {"all", {{"webhook_events", json::array()}}, ""},
      {"unknown word", {{"webhook_events", {"done"}}}, "completed, failed"},
      {"200 KB word", {{"webhook_events", {k200k}}}, "completed, failed"},
      {"number", {{"webhook_events", {1}}}, "got a JSON number"},
      {"object", {{"webhook_events", {{{"a", 1}}}}}, "got a JSON object"},
      {"not an array", {{"webhook_events", "completed"}}, "an array"},
      {"unknown field", {{"nme", "x"}}, "unknown field 'nme'"},
      {"200 KB field name", {{k200k, 1}}, "unknown field"},
      {"body not an object", json::array(), "JSON object"},
  });
  store::Job job;
  apply_job_fields(job, {{"webhook_events", {"failed", "failed", "completed", "failed"}}}, rules());
  EXPECT_EQ(job.webhook_events, (std::vector<std::string>{"failed", "completed"})) << "each word once";
}

TEST(JobFields, AGoodBodySetsEveryField) {
  store::Job job;
  apply_job_fields(job, json::parse(R"({
    "name": "nightly", "command": "dbt build", "schedule": "0 3 * * *", "timezone": "Europe/Berlin",
    "timeout_seconds": 600, "enabled": false, "catchup": false, "webhook_enabled": true,
    "webhook_url": "http://127.0.0.1:8080/api/v2/dags/d/dagRuns", "webhook_headers": {"X-Team": "data"},
    "webhook_events": ["failed"], "webhook_auth": {"type": "basic", "username": "u", "password": "p"}})"),
                   rules());
  EXPECT_EQ(job.name, "nightly");
  EXPECT_EQ(job.schedule, "0 3 * * *");
  EXPECT_EQ(job.timezone, "Europe/Berlin");
  EXPECT_EQ(job.timeout_seconds, 600);
  EXPECT_FALSE(job.enabled);
  EXPECT_TRUE(job.webhook_enabled);
  EXPECT_EQ(job.webhook_headers["X-Team"], "data");
  EXPECT_EQ(job.webhook_auth["type"], "basic");
}

// Slack alerts (docs/notifications.md): the URL goes through the webhook's target rules.
TEST(JobFields, Notifications) {
  const std::string slack = "https://hooks.slack.com/services/T000/B000/XXXX";
  auto one = [](json n) { return json{{"notifications", json::array({std::move(n)})}}; };
  json six = json::array();
  for (int i = 0; i < 6; ++i) six.push_back({{"kind", "slack"}, {"url", "https://h/" + std::to_string(i)}});
  run_table({
      {"slack", one({{"kind", "slack"}, {"url", slack}}), ""},
      {"slack with events", one({{"kind", "slack"}, {"url", slack}, {"events", {"failed", "completed"}}}), ""},
      {"none", {{"notifications", json::array()}}, ""},
      {"null", {{"notifications", nullptr}}, ""},
      {"not an array", {{"notifications", "x"}}, "field 'notifications' must be an array"},
      {"object", {{"notifications", {{"kind", "slack"}}}}, "field 'notifications' must be an array"},
      {"six", {{"notifications", six}}, "the limit is 5"},
      {"item not an object", {{"notifications", {"https://h/"}}}, "field 'notifications[0]' must be an object"},
      {"unknown kind", one({{"kind", "teams"}, {"url", slack}}), "notifications[0].kind"},
      {"200 KB kind", one({{"kind", k200k}, {"url", slack}}), "the only kind is slack"},
      {"kind not a string", one({{"kind", 1}, {"url", slack}}), "notifications[0].kind"},
      {"no kind", one({{"url", slack}}), "notifications[0].kind"},
      {"no url", one({{"kind", "slack"}}), "notifications[0].url"},
      {"empty url", one({{"kind", "slack"}, {"url", ""}}), "notifications[0].url"},
      {"url not a string", one({{"kind", "slack"}, {"url", 5}}), "notifications[0].url"},
      {"200 KB url", one({{"kind", "slack"}, {"url", "https://" + k200k}}), "the limit is 2048"},
      {"NUL in url", one({{"kind", "slack"}, {"url", std::string("https://h/\0", 11)}}), "NUL"},
      {"ftp url", one({{"kind", "slack"}, {"url", "ftp://h/x"}}), "notifications[0].url must start with http"},
      {"metadata", one({{"kind", "slack"}, {"url", "http://169.254.169.254/latest/"}}), "--allow-webhook-link-local"},
      {"the daemon", one({{"kind", "slack"}, {"url", "http://127.0.0.1:8780/api/v1/runs"}}), "own API"},
      {"extra key", one({{"kind", "slack"}, {"url", slack}, {"channel", "#x"}}), "unknown field 'channel'"},
      {"200 KB key", one({{"kind", "slack"}, {"url", slack}, {k200k, 1}}), "unknown field"},
      {"unknown event", one({{"kind", "slack"}, {"url", slack}, {"events", {"done"}}}), "notifications[0].events"},
      {"200 KB event", one({{"kind", "slack"}, {"url", slack}, {"events", {k200k}}}), "notifications[0].events"},
      {"event not a string", one({{"kind", "slack"}, {"url", slack}, {"events", {1}}}), "got a JSON number"},
      {"events not an array", one({{"kind", "slack"}, {"url", slack}, {"events", "failed"}}), "an array of event words"},
      {"no events", one({{"kind", "slack"}, {"url", slack}, {"events", json::array()}}), "at least one"},
      {"twice", {{"notifications", {{{"kind", "slack"}, {"url", slack}}, {{"kind", "slack"}, {"url", slack}}}}},
       "notifications[1].url' is given twice"},
  });
}

TEST(JobFields, NotificationsDefaultEventsAndRedactedUrlKept) {
  const std::string slack = "https://hooks.slack.com/services/T000/B000/XXXX";
  store::Job job;
  apply_job_fields(job, {{"notifications", {{{"kind", "slack"}, {"url", slack}}}}}, rules());
  ASSERT_EQ(job.notifications.size(), 1u);
  EXPECT_EQ(job.notifications[0]["url"], slack);
  EXPECT_EQ(job.notifications[0]["events"], json({"failed", "partial"})) << "a cron alert: failures by default";
  // The job's JSON shows the URL redacted; sent back so, the stored URL stays.
  apply_job_fields(job,
                   {{"notifications",
                     {{{"kind", "slack"}, {"url", "https://hooks.slack.com/services/T000/B000/…"}, {"events", {"failed", "failed"}}}}}},
                   rules());
  EXPECT_EQ(job.notifications[0]["url"], slack);
  EXPECT_EQ(job.notifications[0]["events"], json({"failed"}));
  apply_job_fields(job, {{"notifications", nullptr}}, rules());
  EXPECT_TRUE(job.notifications.empty());
  // A redacted URL that is no stored one is an ordinary (refused) URL.
  EXPECT_NE(error_of({{"notifications", {{{"kind", "slack"}, {"url", "https://hooks.slack.com/services/T/B/…"}}}}}), "");
}

TEST(JobFields, SlackUrlRedactedHidesTheLastPathSegment) {
  EXPECT_EQ(redact_slack_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET"), "https://hooks.slack.com/services/T000/B000/…");
  EXPECT_EQ(redact_slack_url("http://127.0.0.1:9/hook?token=s#f"), "http://127.0.0.1:9/…");
  EXPECT_EQ(redact_slack_url("http://h:1?token=s"), "http://h:1/…");
  // A trailing slash or dot does not make the secret segment shown.
  EXPECT_EQ(redact_slack_url("http://h/a/b/"), "http://h/a/…");
  EXPECT_EQ(redact_slack_url("https://hooks.slack.com/services/T0/B0/SECRET/"), "https://hooks.slack.com/services/T0/B0/…");
  EXPECT_EQ(redact_slack_url("https://hooks.slack.com/services/T0/B0/SECRET//./"), "https://hooks.slack.com/services/T0/B0/…");
  EXPECT_EQ(redact_slack_url("https://hooks.slack.com/services/T0/B0/SECRET/?x=1"), "https://hooks.slack.com/services/T0/B0/…");
  EXPECT_EQ(redact_slack_url("http://h/"), "http://h/…");
  EXPECT_EQ(redact_slack_url("http://h/..."), "http://h/…");
  EXPECT_EQ(redact_slack_url("nonsense"), "…");
}

}  // namespace
}  // namespace dagctl::daemon::service
