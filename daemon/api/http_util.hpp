// Small helpers shared by the route handlers: JSON answers, the error model of §5, body
// and query parsing.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace dagctl::daemon::api {

// One request as the route handlers see it: httplib's request and the body we read.
struct Call {
  const httplib::Request& http;
  const std::string& body;
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

}  // namespace dagctl::daemon::api
