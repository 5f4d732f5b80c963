// webhook secret|deliveries|redeliver|test (docs/webhooks.md).
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/resolve.hpp"

namespace dagctl::cli {

namespace {
std::string job_path(const JobRef& ref) {
  return "/api/v1/projects/" + url_encode(ref.project_id) + "/jobs/" + url_encode(ref.job_id);
}

// One row of the delivery log: the last attempt's outcome and the run are cut first on a
// narrow terminal.
std::vector<std::string> delivery_row(const nlohmann::json& d) {
  const auto& attempts = field(d, "attempts");
  std::string last = "-";
  if (attempts.is_array() && !attempts.empty()) {
    const auto& a = attempts.back();
    last = field(a, "status_code").is_null() ? text_field(a, "error") : "HTTP " + text_field(a, "status_code");
    last += fmt::format(" in {} ms", text_field(a, "latency_ms"));
  }
  // Other kinds than the webhook say theirs: "job.failed [slack]" (docs/webhooks.md#kinds-of-delivery).
  const std::string kind = text_field(d, "kind");
  const std::string event = text_field(d, "event") + (kind == "webhook" || kind == "-" || kind.empty() ? "" : " [" + kind + "]");
  return {text_field(d, "id"), event, text_field(d, "status"), text_field(d, "attempt_count"), last,
          text_field(d, "run_id")};
}
}  // namespace

void add_webhook_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("webhook", "The signing secret, the delivery log, resend and test");
  group->require_subcommand(1);
  {
    auto* cmd = group->add_subcommand("secret", "The job's signing secret (whsec_...), to verify signatures");
    auto job = std::make_shared<std::string>();
    auto rotate = std::make_shared<bool>(false);
    cmd->add_option("JOB", *job, "Job id or PROJECT/JOB")->required();
    cmd->add_flag("--rotate", *rotate, "Replace it with a new secret (the old one stops verifying) and print that");
    cmd->callback([&ctx, job, rotate] {
      const Client client = ctx.client();
      const auto path = job_path(resolve_job(client, *job)) + "/webhook/secret";
      const auto answer = *rotate ? client.post(path + "/rotate") : client.get(path);
      if (ctx.json()) return print_json(answer);
      if (*rotate) std::cerr << "a new secret: deliveries from now on are signed with it; give it to the receiver\n";
      std::cout << text_field(answer, "secret") << "\n";
    });
  }
  {
    auto* cmd = group->add_subcommand("deliveries", "The job's webhook deliveries and every attempt, newest first");
    auto job = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(20);
    cmd->add_option("JOB", *job, "Job id or PROJECT/JOB")->required();
    cmd->add_option("--limit", *limit, "How many (1-1000)")->check(CLI::Range(1, 1000));
    cmd->callback([&ctx, job, limit] {
      const Client client = ctx.client();
      const auto answer = client.get(job_path(resolve_job(client, *job)) + "/deliveries?limit=" + std::to_string(*limit));
      if (ctx.json()) return print_json(answer);
      const auto& deliveries = field(answer, "deliveries");
      if (deliveries.empty()) std::cout << "no deliveries yet\n";
      std::vector<std::vector<std::string>> rows = {{"DELIVERY", "EVENT", "STATUS", "TRIES", "LAST ATTEMPT", "RUN"}};
      for (const auto& d : deliveries) rows.push_back(delivery_row(d));
      if (!deliveries.empty()) print_table(rows, {4, 5});
    });
  }
  {
    auto* cmd = group->add_subcommand("redeliver", "Send a delivery again (same delivery id)");
    auto id = std::make_shared<std::string>();
    cmd->add_option("DELIVERY", *id, "Delivery id (dlv_...)")->required();
    cmd->callback([&ctx, id] {
      const auto d = ctx.client().post("/api/v1/deliveries/" + url_encode(*id) + "/redeliver");
      if (ctx.json()) return print_json(d);
      std::cout << fmt::format("delivery {} queued again; see dagctl webhook deliveries JOB\n", text_field(d, "id"));
    });
  }
  {
    auto* cmd = group->add_subcommand("test", "Send a job.test event to the job's webhook URL (or its Slack URL)");
    auto job = std::make_shared<std::string>();
    auto slack = std::make_shared<bool>(false);
    cmd->add_option("JOB", *job, "Job id or PROJECT/JOB")->required();
    cmd->add_flag("--slack", *slack, "Send a test message to the job's Slack notification instead (docs/notifications.md)");
    cmd->callback([&ctx, job, slack] {
      const Client client = ctx.client();
      const auto d = client.post(job_path(resolve_job(client, *job)) + "/webhook/test" + (*slack ? "?kind=slack" : ""));
      if (ctx.json()) return print_json(d);
      std::cout << fmt::format("test delivery {} queued to {}; see dagctl webhook deliveries {}\n",
                               text_field(d, "id"), text_field(d, "url"), *job);
    });
  }
}

}  // namespace dagctl::cli
