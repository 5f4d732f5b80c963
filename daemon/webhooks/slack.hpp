// Slack alerts (docs/notifications.md): a job's notifications of kind "slack" each owe one
// message, in Slack's incoming-webhook JSON, for the events they name. The message says the
// project, job, status, duration, trigger, the failed nodes with their first error line and
// the run's error; it is bounded by Slack's limits (3000 characters a text block, 50 blocks).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/models.hpp"
#include "daemon/webhooks/run_context.hpp"

namespace dagctl::daemon::webhooks {

// The events a notification gets when it names none: a failed run, and one with failed nodes.
inline const std::vector<std::string> kDefaultSlackEvents = {"failed", "partial"};
// At most this many failed nodes are listed; the rest are counted ("and 3 more").
inline constexpr std::size_t kSlackNodesListed = 5;

// One Slack message per slack notification of the job whose events include the run's.
std::vector<store::Delivery> slack_owed(const RunContext& context, const store::Run& finished);

// The message itself: {"text": fallback line, "blocks": [...]}.
nlohmann::json slack_message(const RunContext& context, const store::Run& finished);

// A test message for the job's slack notification (dagctl webhook test JOB --slack).
nlohmann::json slack_test_message(const store::Job& job, const store::Project& project);

// Text for Slack's mrkdwn: & < > escaped as Slack asks, control characters made spaces, at
// most `max_bytes` bytes after escaping ("…" marks a cut), never splitting a character.
std::string slack_escape(std::string_view text, std::size_t max_bytes);

// The first line of a node's message worth reading: dbt's "Database Error in model x
// (models/x.sql)" heading gives way to the line after it, which says what went wrong.
std::string first_error_line(std::string_view message);
}  // namespace dagctl::daemon::webhooks
