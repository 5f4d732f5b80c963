// Small helpers shared by the route handlers: JSON answers, the error model (docs/api.md,
// Errors), body and query parsing.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/service/ui_sessions.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::api {

// One request as the route handlers see it: httplib's request, the body we read, and who
// is asking.
struct Call {
  const httplib::Request& http;
  const std::string& body;
  // On the Unix socket: the owner, who may do everything. Over TCP: the token's scope
  // (none for the one route that needs no token).
  bool owner = false;
  std::optional<store::TokenScope> scope;
  // Over TCP with the web UI's cookie: its session (docs/security.md#web-ui).
  std::optional<service::UiSession> session{};

  bool may(store::TokenScope needed) const { return owner || (scope && *scope >= needed); }
};

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message);

// The request body as a JSON object. Empty body: nullopt when `required` is false, else
// 400. A body that is not application/json: 415. Malformed JSON or invalid UTF-8: 400.
std::optional<nlohmann::json> json_body(const Call& call, bool required);

// Rejects (400) any key of `body` that is not in `allowed`, naming it.
void reject_unknown_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed);

std::optional<std::string> query_param(const Call& call, const std::string& name);

// Digits only (no sign, space or '+'), at most `max`; nullopt otherwise.
std::optional<std::uint64_t> parse_whole_number(std::string_view text, std::uint64_t max);
// A query parameter that must be "true" or "false"; absent: `otherwise`; else 400.
bool bool_param(const Call& call, const std::string& name, bool otherwise);
// The `limit` query parameter of a list: 1 to 1000; absent: 20; else 400.
int limit_param(const Call& call);

}  // namespace dagctl::daemon::api
