// Webhook signing known-answer vectors and payload rules (docs/webhooks.md).
#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "daemon/webhooks/payload.hpp"
#include "daemon/webhooks/sender.hpp"
#include "daemon/webhooks/signing.hpp"

namespace dagctl::daemon::webhooks {
namespace {

TEST(WebhookSigning, GithubDocumentedVector) {
  // docs.github.com, "Validating webhook deliveries".
  EXPECT_EQ(github_signature("It's a Secret to Everybody", "Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(WebhookSigning, StandardWebhooksSpecVector) {
  // The Standard Webhooks specification's example.
  EXPECT_EQ(standard_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                               1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSigning, StandardSignatureNeedsAWhsecSecret) {
  EXPECT_FALSE(standard_signature("not-a-secret", "id", 1, "{}"));
  EXPECT_FALSE(standard_signature("whsec_***", "id", 1, "{}"));
}

TEST(WebhookSigning, GeneratedSecretsAreWhsecAnd32RandomBytes) {
  const auto a = generate_secret();
  const auto b = generate_secret();
  ASSERT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_NE(a, b);
  const auto key = common::base64_decode(a.substr(6));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 32u);
}

TEST(WebhookPayload, EventForEachTerminalStatus) {
  using common::RunStatus;
  EXPECT_EQ(event_for(RunStatus::success), "job.completed");
  EXPECT_EQ(event_for(RunStatus::partial), "job.partial");
  EXPECT_EQ(event_for(RunStatus::failed), "job.failed");
  EXPECT_EQ(event_for(RunStatus::error), "job.failed");
  EXPECT_EQ(event_for(RunStatus::cancelled), "job.cancelled");
  EXPECT_FALSE(event_for(RunStatus::running));
  EXPECT_FALSE(event_for(RunStatus::queued));
}

TEST(WebhookPayload, JobWantsHonoursEnabledUrlAndEvents) {
  store::Job job;
  job.webhook_url = "http://127.0.0.1:1/x";
  EXPECT_FALSE(job_wants(job, "job.completed"));  // not enabled
  job.webhook_enabled = true;
  EXPECT_TRUE(job_wants(job, "job.completed"));  // empty list: every event
  job.webhook_events = {"failed"};
  EXPECT_FALSE(job_wants(job, "job.completed"));
  EXPECT_TRUE(job_wants(job, "job.failed"));
  job.webhook_url.reset();
  EXPECT_FALSE(job_wants(job, "job.failed"));
}

TEST(WebhookPayload, AirflowUrlsAreRecognised) {
  EXPECT_EQ(airflow_api_of("http://af:8080/api/v1/dags/downstream/dagRuns"), AirflowApi::v1);
  EXPECT_EQ(airflow_api_of("https://af.example.com/airflow/api/v2/dags/d_1/dagRuns"), AirflowApi::v2);
  EXPECT_EQ(airflow_api_of("http://af:8080/api/v2/dags/d/dagRuns/"), AirflowApi::v2);
  EXPECT_EQ(airflow_api_of("http://af:8080/api/v1/dags/d/dagRuns/run1"), AirflowApi::none);
  EXPECT_EQ(airflow_api_of("http://hooks.example.com/dagctl"), AirflowApi::none);
}

TEST(WebhookPayload, BodyHasTheSeedShapeAndAirflowExtras) {
  store::Run run;
  run.id = "run-1";
  run.status = common::RunStatus::partial;
  run.start_time = common::from_millis(1'000'000);
  run.end_time = common::from_millis(1'120'500);
  run.error_message = "1 node failed";
  run.results = {{"success", 3}, {"error", 1}};
  store::Job job;
  job.id = "job-1";
  job.name = "nightly";
  store::Project project;
  project.id = "p-1";
  project.name = "shop";
  store::Organization org{"org-x", "default"};

  const auto plain = build_body("job.partial", run, job, project, org, "http://h/x", common::from_millis(0));
  EXPECT_EQ(plain.size(), 1u);
  const auto& conf = plain["conf"];
  EXPECT_EQ(conf["event"], "job.partial");
  EXPECT_EQ(conf["timestamp"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(conf["job_run"]["duration_seconds"], 120.5);
  EXPECT_EQ(conf["job_run"]["status"], "partial");
  EXPECT_EQ(conf["job_run"]["results"]["error"], 1);
  EXPECT_TRUE(conf["job_run"]["command_override"].is_null());
  EXPECT_EQ(conf["job_run"]["error_message"], "1 node failed");
  EXPECT_EQ(conf["job_run"]["nothing_selected"], false);
  EXPECT_EQ(conf["project"]["type"], "dbt");
  EXPECT_EQ(conf["organization"]["id"], "org-x");

  const auto v1 = build_body("job.partial", run, job, project, org, "http://af/api/v1/dags/d/dagRuns", common::now());
  EXPECT_EQ(v1["dag_run_id"], "dagctl__run-1");
  EXPECT_FALSE(v1.contains("logical_date"));
  const auto v2 = build_body("job.partial", run, job, project, org, "http://af/api/v2/dags/d/dagRuns", common::now());
  EXPECT_EQ(v2["dag_run_id"], "dagctl__run-1");
  ASSERT_TRUE(v2.contains("logical_date"));
  EXPECT_TRUE(v2["logical_date"].is_null());

  // The job's URL changed while the delivery was owed: the extras follow the new URL.
  const auto to_v2 = retarget_body(v1, "http://af/api/v2/dags/d/dagRuns");
  EXPECT_EQ(to_v2["conf"], v1["conf"]);
  EXPECT_EQ(to_v2["dag_run_id"], "dagctl__run-1");
  EXPECT_TRUE(to_v2.contains("logical_date") && to_v2["logical_date"].is_null());
  const auto to_v1 = retarget_body(v2, "http://af/api/v1/dags/other/dagRuns");
  EXPECT_EQ(to_v1["dag_run_id"], "dagctl__run-1");
  EXPECT_FALSE(to_v1.contains("logical_date"));
  const auto to_plain = retarget_body(v2, "https://hooks.example.com/dbt");
  EXPECT_EQ(to_plain.size(), 1u);
  EXPECT_EQ(to_plain["conf"], v2["conf"]);
}

TEST(Crypto, Base64RoundTripsAndRejectsGarbage) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(common::base64_decode(common::base64_encode(s)), s);
  }
  EXPECT_FALSE(common::base64_decode("abc"));
  EXPECT_FALSE(common::base64_decode("a*c="));
}

}  // namespace
}  // namespace dagctl::daemon::webhooks

// A receiver that answers 429 or 503 says when to come back, in seconds or as a date.
TEST(WebhookRetryAfter, SecondsOrAnHttpDateBecomeADelayOfAtMostAnHour) {
  using std::chrono::seconds;
  using dagctl::daemon::webhooks::parse_retry_after;
  const auto now = dagctl::common::from_millis(1'792'567'680'000);  // Wed, 21 Oct 2026 07:28:00 GMT
  EXPECT_EQ(parse_retry_after("120", now), seconds(120));
  EXPECT_EQ(parse_retry_after("0", now), seconds(0));
  EXPECT_EQ(parse_retry_after("86400", now), seconds(3600)) << "capped at an hour";
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2026 07:30:30 GMT", now), seconds(150));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now), seconds(0)) << "a date in the past: now";
  EXPECT_EQ(parse_retry_after("Thu, 22 Oct 2026 07:28:00 GMT", now), seconds(3600));
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), seconds(3600)) << "far future: capped, no overflow";
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("99999999999999999999", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("2026-10-21T07:30:30Z", now), std::nullopt);
}
