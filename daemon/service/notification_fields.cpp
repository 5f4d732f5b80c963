#include "daemon/service/notification_fields.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "common/limits.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/field_checks.hpp"
#include "daemon/webhooks/slack.hpp"

namespace dagctl::daemon::service {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 4> kEvents = {"completed", "failed", "partial", "cancelled"};

std::string type_of(const json& v) { return std::string("a JSON ") + v.type_name(); }

// The stored URL that `url` stands for when it is the redacted form of one (else `url`).
std::string unredacted(const std::string& url, const json& current) {
  if (!current.is_array()) return url;
  for (const auto& n : current) {
    if (n.is_object() && n.contains("url") && n["url"].is_string() &&
        redact_slack_url(n["url"].get<std::string>()) == url) {
      return n["url"].get<std::string>();
    }
  }
  return url;
}

json parse_events(const json& value, const std::string& field) {
  if (!value.is_array()) throw bad_request("field '" + field + "' must be an array of event words, not " + type_of(value));
  if (value.empty()) {
    throw bad_request("field '" + field + "' must name at least one of completed, failed, partial and cancelled "
                      "(leave it out for failed and partial)");
  }
  json events = json::array();
  for (const auto& e : value) {
    const bool known = e.is_string() && std::find(kEvents.begin(), kEvents.end(), e.get_ref<const std::string&>()) != kEvents.end();
    if (!known) {
      throw bad_request("field '" + field + "' may hold only completed, failed, partial and cancelled; got " +
                        (e.is_string() ? common::quote(e.get_ref<const std::string&>()) : type_of(e)));
    }
    if (std::find(events.begin(), events.end(), e) == events.end()) events.push_back(e);  // a set
  }
  return events;
}

json parse_one(const json& n, const std::string& field, const json& current, const webhooks::TargetPolicy& targets) {
  if (!n.is_object()) {
    throw bad_request("field '" + field + "' must be an object {\"kind\": \"slack\", \"url\": ..., \"events\": [...]}, not " + type_of(n));
  }
  for (const auto& [k, v] : n.items()) {
    if (k != "kind" && k != "url" && k != "events") {
      throw bad_request("unknown field " + common::quote(k) + " in '" + field + "'; a notification has kind, url and events");
    }
  }
  if (!n.contains("kind") || !n["kind"].is_string()) throw bad_request("field '" + field + ".kind' must be \"slack\"");
  const auto& kind = n["kind"].get_ref<const std::string&>();
  if (kind != store::delivery_kind::slack) {
    throw bad_request("field '" + field + ".kind' is " + common::quote(kind) + "; the only kind is slack");
  }
  if (!n.contains("url") || !n["url"].is_string() || n["url"].get_ref<const std::string&>().empty()) {
    throw bad_request("field '" + field + ".url' must be the Slack incoming-webhook URL "
                      "(https://hooks.slack.com/services/...)");
  }
  check_length(field + ".url", n["url"].get_ref<const std::string&>(), common::limits::kUrl);
  const std::string url = unredacted(n["url"].get<std::string>(), current);
  if (const auto checked = webhooks::check_url(url, field + ".url", targets); !checked) throw bad_request(checked.error());
  json events = n.contains("events") ? parse_events(n["events"], field + ".events")
                                     : json(webhooks::kDefaultSlackEvents);
  return {{"kind", kind}, {"url", url}, {"events", events}};
}

}  // namespace

std::string redact_slack_url(std::string_view url) {
  static constexpr std::string_view kHidden = "…";
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(kHidden);
  // The query and fragment go; of the path, all but its last segment is shown. Trailing
  // '/' and '.' go first: in ".../B000/SECRET/" the secret is the last segment that is one.
  auto rest = url.substr(0, url.find_first_of("?#", scheme + 3));
  while (rest.size() > scheme + 3 && (rest.back() == '/' || rest.back() == '.')) rest.remove_suffix(1);
  const auto path = rest.find('/', scheme + 3);
  if (path == std::string_view::npos) return std::string(rest) + "/" + std::string(kHidden);
  return std::string(rest.substr(0, rest.rfind('/') + 1)) + std::string(kHidden);
}

json parse_notifications(const json& value, const json& current, const webhooks::TargetPolicy& targets) {
  if (value.is_null()) return json::array();
  if (!value.is_array()) {
    throw bad_request("field 'notifications' must be an array of {\"kind\": \"slack\", \"url\": ..., \"events\": [...]}, not " +
                      type_of(value));
  }
  if (value.size() > kMaxNotifications) {
    throw bad_request("field 'notifications' holds " + std::to_string(value.size()) + "; the limit is " +
                      std::to_string(kMaxNotifications) + " (docs/limits.md)");
  }
  json list = json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string field = "notifications[" + std::to_string(i) + "]";
    auto n = parse_one(value[i], field, current, targets);
    for (const auto& other : list) {
      if (other["url"] == n["url"]) throw bad_request("field '" + field + ".url' is given twice; one notification per URL");
    }
    list.push_back(std::move(n));
  }
  return list;
}

}  // namespace dagctl::daemon::service
