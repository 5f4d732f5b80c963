// Slack alerts (docs/notifications.md): which events owe a message, what it says, Slack's
// escaping, and the bounds that keep it within Slack's limits whatever dbt wrote.
#include "daemon/webhooks/slack.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/time.hpp"

namespace dagctl::daemon::webhooks {
namespace {

using nlohmann::json;

const std::string kSlack = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";

store::NodeRecord node(const std::string& name, const std::string& status, const std::string& message = "") {
  store::NodeRecord n;
  n.unique_id = "model.shop." + name;
  n.name = name;
  n.resource_type = "model";
  n.status = status;
  if (!message.empty()) n.message = message;
  return n;
}

struct Fixture {
  OutboxOptions options;
  RunContext context;
  store::Run run;
  Fixture() {
    context.job.id = "job1";
    context.job.name = "nightly";
    context.job.notifications = json::array({{{"kind", "slack"}, {"url", kSlack}, {"events", {"failed", "partial"}}}});
    context.project.name = "shop";
    context.options = &options;
    run.id = "run_abc";
    run.status = common::RunStatus::failed;
    run.triggered_by = "schedule";
    run.start_time = common::from_millis(1'000'000);
    run.end_time = common::from_millis(1'000'000 + 187'000);
  }
  std::string all_text() const { return slack_message(context, run).dump(); }
};

TEST(SlackOwed, EventsChooseTheRunsThatAlert) {
  Fixture f;
  auto owed_for = [&](common::RunStatus s) {
    f.run.status = s;
    return slack_owed(f.context, f.run);
  };
  ASSERT_EQ(owed_for(common::RunStatus::failed).size(), 1u);
  EXPECT_EQ(owed_for(common::RunStatus::error).size(), 1u) << "error is the failed event";
  EXPECT_EQ(owed_for(common::RunStatus::partial).size(), 1u);
  EXPECT_TRUE(owed_for(common::RunStatus::success).empty());
  EXPECT_TRUE(owed_for(common::RunStatus::cancelled).empty());
  EXPECT_TRUE(owed_for(common::RunStatus::running).empty()) << "not terminal";

  const auto d = owed_for(common::RunStatus::failed).front();
  EXPECT_EQ(d.kind, "slack");
  EXPECT_EQ(d.event, "job.failed");
  EXPECT_EQ(d.url, kSlack);
  EXPECT_EQ(d.job_id, "job1");
  EXPECT_EQ(d.status, "pending");
  EXPECT_TRUE(json::parse(d.body).contains("blocks"));

  f.context.job.notifications[0]["events"] = {"completed"};
  EXPECT_EQ(owed_for(common::RunStatus::success).size(), 1u);
  EXPECT_TRUE(owed_for(common::RunStatus::failed).empty());
  f.context.job.notifications[0].erase("events");
  EXPECT_EQ(owed_for(common::RunStatus::failed).size(), 1u) << "no events: failed and partial";
  EXPECT_TRUE(owed_for(common::RunStatus::success).empty());
  f.context.job.notifications = json::array();
  EXPECT_TRUE(owed_for(common::RunStatus::failed).empty());
  f.context.job.notifications = json::array({{{"kind", "slack"}, {"url", kSlack}}, {{"kind", "slack"}, {"url", kSlack + "2"}},
                                             {{"kind", "other"}, {"url", kSlack}}});
  EXPECT_EQ(owed_for(common::RunStatus::failed).size(), 2u) << "one per slack notification";
}

TEST(SlackMessage, SaysProjectJobStatusDurationTriggerAndFailedNodes) {
  Fixture f;
  f.context.nodes = {node("stg_orders", "success"),
                     node("fct_orders", "error",
                          "Database Error in model fct_orders (models/fct_orders.sql)\n  column \"x\" does not exist\n  LINE 1"),
                     node("not_null_id", "fail", "Got 3 results, configured to fail if != 0")};
  const auto m = slack_message(f.context, f.run);
  const std::string text = m["text"];
  EXPECT_NE(text.find("shop/nightly failed"), std::string::npos) << text;
  EXPECT_NE(text.find("2 failed nodes"), std::string::npos) << text;
  EXPECT_NE(text.find("3 min 07 s"), std::string::npos) << text;
  const std::string all = m.dump();
  EXPECT_NE(all.find("schedule"), std::string::npos);
  EXPECT_NE(all.find("model.shop.fct_orders"), std::string::npos);
  EXPECT_NE(all.find("column \\\"x\\\" does not exist"), std::string::npos) << "the line after dbt's heading";
  EXPECT_EQ(all.find("LINE 1"), std::string::npos) << "only the first error line";
  EXPECT_NE(all.find("Got 3 results"), std::string::npos);
  EXPECT_EQ(all.find("stg_orders"), std::string::npos) << "a node that succeeded is not listed";
  EXPECT_EQ(all.find(kSlack), std::string::npos);
  EXPECT_NE(all.find("`run_abc`"), std::string::npos) << "no UI: the run id as code";
}

TEST(SlackMessage, LinksTheRunPageWhenTheDaemonHasAListener) {
  Fixture f;
  f.options.ui_url = "http://127.0.0.1:8780";
  EXPECT_NE(f.all_text().find("<http://127.0.0.1:8780/#/runs/run_abc|run_abc>"), std::string::npos);
}

TEST(SlackMessage, AnErrorRunSaysItsError) {
  Fixture f;
  f.run.status = common::RunStatus::error;
  f.run.error_message = "timed out after 600 s";
  EXPECT_NE(f.all_text().find("timed out after 600 s"), std::string::npos);
  f.run.status = common::RunStatus::failed;
  EXPECT_EQ(f.all_text().find("timed out after 600 s"), std::string::npos) << "only an error run's";
}

TEST(SlackMessage, EscapesWhatSlackReads) {
  Fixture f;
  f.context.project.name = "a<b>&c";
  f.context.nodes = {node("m`x", "error", "<!channel> & <@U123> said <http://evil|click>")};
  const std::string all = f.all_text();
  EXPECT_EQ(all.find("<!channel>"), std::string::npos);
  EXPECT_EQ(all.find("<@U123>"), std::string::npos);
  EXPECT_EQ(all.find("<http://evil"), std::string::npos);
  EXPECT_NE(all.find("&lt;!channel&gt; &amp; &lt;@U123&gt;"), std::string::npos) << all;
  EXPECT_NE(all.find("a&lt;b&gt;&amp;c"), std::string::npos);
  EXPECT_NE(all.find("`model.shop.m'x`"), std::string::npos) << "a backtick cannot end the code span";
}

TEST(SlackMessage, BoundedWhateverDbtWrote) {
  Fixture f;
  const std::string huge(200 * 1024, '&');
  for (int i = 0; i < 40; ++i) f.context.nodes.push_back(node("m" + std::to_string(i) + huge, "error", huge + "\n" + huge));
  f.run.status = common::RunStatus::error;
  f.run.error_message = huge;
  f.context.project.name = huge;
  f.context.job.name = huge;
  f.run.triggered_by = huge;
  f.run.command_override = huge;
  const auto m = slack_message(f.context, f.run);
  ASSERT_LE(m["blocks"].size(), 50u);
  EXPECT_LE(m["text"].get<std::string>().size(), 3000u);
  for (const auto& b : m["blocks"]) {
    if (b.contains("text")) {
      EXPECT_LE(b["text"]["text"].get<std::string>().size(), 3000u);
    }
    if (b.contains("fields")) {
      EXPECT_LE(b["fields"].size(), 10u);
      for (const auto& x : b["fields"]) {
        EXPECT_LE(x["text"].get<std::string>().size(), 2000u);
      }
    }
    if (b.contains("elements")) {
      for (const auto& x : b["elements"]) {
        EXPECT_LE(x["text"].get<std::string>().size(), 3000u);
      }
    }
  }
  EXPECT_LT(m.dump().size(), 40'000u);
  EXPECT_NE(m.dump().find("and 35 more"), std::string::npos);
}

TEST(SlackEscape, CutsWholeCharactersAndEntities) {
  EXPECT_EQ(slack_escape("a&b", 100), "a&amp;b");
  EXPECT_EQ(slack_escape("tab\there\x01", 100), "tab here ");
  EXPECT_EQ(slack_escape("abcdef", 6), "abcdef");
  EXPECT_EQ(slack_escape("abcdefg", 6), "abc…");
  EXPECT_EQ(slack_escape("&&&&", 8), "&amp;…") << "an entity is never cut";
  EXPECT_EQ(slack_escape("ééééé", 7), "éé…") << "a character is never cut";
  EXPECT_LE(slack_escape(std::string(10000, '<'), 3000).size(), 3000u);
}

TEST(SlackFirstErrorLine, SkipsDbtsHeading) {
  EXPECT_EQ(first_error_line(""), "");
  EXPECT_EQ(first_error_line("\n  \n  boom  \nmore"), "boom");
  EXPECT_EQ(first_error_line("Compilation Error in model x (models/x.sql)\n  'y' is undefined"), "'y' is undefined");
  EXPECT_EQ(first_error_line("Database Error in model x (models/x.sql)"), "Database Error in model x (models/x.sql)");
}

TEST(SlackTestMessage, NamesTheJob) {
  store::Job job;
  job.name = "nightly";
  store::Project project;
  project.name = "shop";
  const auto m = slack_test_message(job, project);
  EXPECT_NE(m["text"].get<std::string>().find("shop/nightly"), std::string::npos);
}

}  // namespace
}  // namespace dagctl::daemon::webhooks
