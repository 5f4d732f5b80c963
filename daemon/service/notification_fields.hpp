// A job's `notifications` field (docs/notifications.md): a list of at most
// kMaxNotifications alerts, each {"kind": "slack", "url": ..., "events": [...]}. Pure, like
// the other job fields (job_fields.hpp); every problem is a UserError 400 naming the field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/store/models.hpp"
#include "daemon/webhooks/target.hpp"

namespace dagctl::daemon::service {

inline constexpr std::size_t kMaxNotifications = 5;

// The list to store for `value` (null clears). A url equal to the redacted form of one of
// `current`'s (as the job's JSON shows it) keeps that stored URL, so a job's JSON can be sent
// back with only the events changed. Events default to failed and partial.
nlohmann::json parse_notifications(const nlohmann::json& value, const nlohmann::json& current,
                                   const webhooks::TargetPolicy& targets);

// A Slack URL holds its token in the last path segment: shown as
// "https://hooks.slack.com/services/T000/B000/…" (query dropped). Not a URL: "…".
std::string redact_slack_url(std::string_view url);

}  // namespace dagctl::daemon::service
