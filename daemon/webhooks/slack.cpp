#include "daemon/webhooks/slack.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/time.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "daemon/webhooks/payload.hpp"

namespace dagctl::daemon::webhooks {

using nlohmann::json;

namespace {

constexpr std::size_t kTextBlock = 3000;   // Slack: a section's text
constexpr std::size_t kField = 2000;       // Slack: a section field
constexpr std::size_t kFallback = 1000;    // the notification line; Slack shows far less
constexpr std::size_t kNodeName = 200;     // a node's unique_id as listed
constexpr std::size_t kErrorLine = 300;    // a node's first error line
constexpr std::size_t kRunError = 1500;    // the run's error_message

std::size_t utf8_length(unsigned char lead) {
  return lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
}

bool failed_node(const store::NodeRecord& n) {
  return n.status == "error" || n.status == "fail" || n.status == "runtime error";
}

const char* emoji_for(common::RunStatus s) {
  switch (s) {
    case common::RunStatus::success: return ":white_check_mark:";
    case common::RunStatus::partial: return ":warning:";
    case common::RunStatus::cancelled: return ":no_entry_sign:";
    default: return ":x:";
  }
}

// "850 ms", "42 s", "3 min 07 s", "1 h 02 min"
std::string duration_text(const store::Run& run) {
  if (!run.start_time || !run.end_time) return "-";
  const auto ms = std::max<std::int64_t>(0, common::to_millis(*run.end_time) - common::to_millis(*run.start_time));
  if (ms < 1000) return fmt::format("{} ms", ms);
  const auto s = ms / 1000;
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
}

json mrkdwn(std::string text) { return {{"type", "mrkdwn"}, {"text", std::move(text)}}; }
json section(std::string text) { return {{"type", "section"}, {"text", mrkdwn(std::move(text))}}; }

// Inside `code`: a backtick would end it early.
std::string code(std::string_view text, std::size_t max) {
  std::string s = slack_escape(text, max);
  std::replace(s.begin(), s.end(), '`', '\'');
  return "`" + s + "`";
}

// The failed nodes, at most kSlackNodesListed, each with its first error line; bounded
// well under a text block (5 x (200 + 300) bytes plus the bullets).
std::string failed_nodes_text(const std::vector<store::NodeRecord>& nodes) {
  std::vector<const store::NodeRecord*> failed;
  for (const auto& n : nodes) {
    if (failed_node(n)) failed.push_back(&n);
  }
  if (failed.empty()) return {};
  std::string text = failed.size() == 1 ? "*Failed node*" : fmt::format("*Failed nodes ({})*", failed.size());
  for (std::size_t i = 0; i < failed.size() && i < kSlackNodesListed; ++i) {
    const auto& n = *failed[i];
    text += "\n• " + code(n.unique_id.empty() ? n.name : n.unique_id, kNodeName);
    if (n.status == "fail") text += " (test failed)";
    const auto line = first_error_line(n.message.value_or(""));
    if (!line.empty()) text += ": " + slack_escape(line, kErrorLine);
  }
  if (failed.size() > kSlackNodesListed) text += fmt::format("\n…and {} more", failed.size() - kSlackNodesListed);
  return text;
}

}  // namespace

std::string slack_escape(std::string_view text, std::size_t max_bytes) {
  static constexpr std::string_view kCut = "…";
  // Whole when it fits; else cut with room for the mark.
  for (const bool cutting : {false, true}) {
    std::string out;
    bool fits = true;
    for (std::size_t i = 0; i < text.size() && fits;) {
      const auto c = static_cast<unsigned char>(text[i]);
      const std::size_t len = std::min(utf8_length(c), text.size() - i);
      const std::string piece = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
                              : (c < 0x20 || c == 0x7F) ? " " : std::string(text.substr(i, len));
      fits = out.size() + piece.size() + (cutting ? kCut.size() : 0) <= max_bytes;
      if (fits) out += piece;
      i += len;
    }
    if (fits) return out;
    if (cutting) return out.size() + kCut.size() <= max_bytes ? out + std::string(kCut) : out;
  }
  return {};
}

std::string first_error_line(std::string_view message) {
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at <= message.size() && lines.size() < 2;) {
    auto end = message.find('\n', at);
    if (end == std::string_view::npos) end = message.size();
    auto line = message.substr(at, end - at);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos) {
      line.remove_prefix(first);
      line = line.substr(0, line.find_last_not_of(" \t\r") + 1);
      lines.push_back(line);
    }
    at = end + 1;
  }
  if (lines.empty()) return {};
  // dbt: "Database Error in model stg_orders (models/stg_orders.sql)" then the error itself.
  const bool heading = lines[0].find(" Error in ") != std::string_view::npos && lines[0].ends_with(")");
  return std::string(heading && lines.size() > 1 ? lines[1] : lines[0]);
}

json slack_message(const RunContext& context, const store::Run& finished) {
  const store::Job& job = context.job;
  const std::string status(common::to_string(finished.status));
  std::size_t failed = 0;
  for (const auto& n : context.nodes) failed += failed_node(n) ? 1 : 0;

  std::string fallback = fmt::format("{} {}/{} {}", emoji_for(finished.status), context.project.name, job.name, status);
  if (failed > 0) fallback += fmt::format(": {} failed node{}", failed, failed == 1 ? "" : "s");
  fallback += fmt::format(" (run {}, {})", finished.id, duration_text(finished));

  std::string link;
  if (context.options && !context.options->ui_url.empty()) {
    link = "<" + slack_escape(context.options->ui_url + "/#/runs/" + finished.id, kField) + "|" +
           slack_escape(finished.id, kNodeName) + ">";
  } else {
    link = code(finished.id, kNodeName);
  }
  json blocks = json::array();
  // The fixed words are ours; every value from the user or dbt goes through slack_escape.
  blocks.push_back(section(fmt::format("{} *{}* / *{}* {}", emoji_for(finished.status),
                                       slack_escape(context.project.name, kNodeName),
                                       slack_escape(job.name, kNodeName), status)));
  json fields = json::array({
      mrkdwn("*Project*\n" + slack_escape(context.project.name, kField - 20)),
      mrkdwn("*Job*\n" + slack_escape(job.name, kField - 20)),
      mrkdwn("*Status*\n" + status),
      mrkdwn("*Duration*\n" + duration_text(finished)),
      mrkdwn("*Trigger*\n" + slack_escape(finished.triggered_by, kField - 20)),
      mrkdwn("*Run*\n" + link),
  });
  blocks.push_back({{"type", "section"}, {"fields", fields}});
  if (finished.status == common::RunStatus::error && finished.error_message && !finished.error_message->empty()) {
    blocks.push_back(section("*Error*\n" + slack_escape(*finished.error_message, kRunError)));
  }
  if (const auto nodes = failed_nodes_text(context.nodes); !nodes.empty()) blocks.push_back(section(nodes));
  if (finished.command_override) {
    blocks.push_back({{"type", "context"},
                      {"elements", json::array({mrkdwn("command: " + code(*finished.command_override, 500))})}});
  }
  return {{"text", slack_escape(fallback, kFallback)}, {"blocks", blocks}};
}

json slack_test_message(const store::Job& job, const store::Project& project) {
  const std::string line = fmt::format(":wave: dagctl test message for {}/{}: this Slack URL works; runs will be "
                                       "reported here",
                                       slack_escape(project.name, kNodeName), slack_escape(job.name, kNodeName));
  return {{"text", line}, {"blocks", json::array({section(line)})}};
}

std::vector<store::Delivery> slack_owed(const RunContext& context, const store::Run& finished) {
  const auto event = event_for(finished.status);
  if (!event || !context.job.notifications.is_array()) return {};
  const std::string word = event->substr(event->find('.') + 1);
  std::vector<store::Delivery> owed;
  for (const auto& n : context.job.notifications) {
    if (!n.is_object() || n.value("kind", "") != store::delivery_kind::slack || !n.contains("url") || !n["url"].is_string()) {
      continue;
    }
    bool wanted = false;
    if (n.contains("events") && n["events"].is_array()) {
      for (const auto& e : n["events"]) wanted = wanted || (e.is_string() && e.get_ref<const std::string&>() == word);
    } else {
      wanted = std::find(kDefaultSlackEvents.begin(), kDefaultSlackEvents.end(), word) != kDefaultSlackEvents.end();
    }
    if (!wanted) continue;
    owed.push_back(new_delivery(context.job, store::delivery_kind::slack, *event, n["url"].get<std::string>(),
                                render_body(slack_message(context, finished))));
  }
  return owed;
}

}  // namespace dagctl::daemon::webhooks
