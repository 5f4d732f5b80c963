#include "daemon/api/http_util.hpp"

#include <algorithm>

#include "common/limits.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // replace: a dbt message with broken UTF-8 must not turn an answer into a 500.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

std::optional<json> json_body(const Call& call, bool required) {
  const auto& req = call.http;
  const auto& body_text = call.body;
  const bool blank = std::all_of(body_text.begin(), body_text.end(),
                                 [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  if (blank) {
    if (required) throw service::bad_request("this request needs a JSON object body");
    return std::nullopt;
  }
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  if (type != "application/json") {
    std::string hint = type == "application/x-www-form-urlencoded"
                           ? " (Airflow's HttpOperator form-encodes a dict 'data': pass json.dumps(...) instead)"
                           : "";
    throw service::UserError(415, "unsupported_media_type",
                    "the body must be JSON with Content-Type: application/json, not '" +
                        (type.empty() ? std::string("none") : type) + "'" + hint);
  }
  try {
    json body = json::parse(body_text);
    if (!body.is_object()) throw service::bad_request("the body must be a JSON object, not " + std::string(body.type_name()));
    return body;
  } catch (const json::parse_error& e) {
    // The parser's message ends with the token it last read, which may be the whole body.
    std::string what = e.what();
    if (what.size() > 300) what = what.substr(0, std::min<std::size_t>(what.find("; last read:"), 300)) + "...";
    throw service::bad_request("malformed JSON: " + what);
  }
}

void reject_unknown_fields(const json& body, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : body.items()) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string names;
      for (const char* a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      throw service::bad_request("unknown field " + common::quote(key) + "; allowed: " + names);
    }
  }
}

std::optional<std::string> query_param(const Call& call, const std::string& name) {
  if (!call.http.has_param(name.c_str())) return std::nullopt;
  return call.http.get_param_value(name.c_str());
}

std::optional<std::uint64_t> parse_whole_number(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (digit > max || value > (max - digit) / 10) return std::nullopt;  // value * 10 + digit > max
    value = value * 10 + digit;
  }
  return value;
}

bool bool_param(const Call& call, const std::string& name, bool otherwise) {
  const auto text = query_param(call, name);
  if (!text) return otherwise;
  if (*text == "true") return true;
  if (*text == "false") return false;
  throw service::bad_request("'" + name + "' must be true or false");
}

int limit_param(const Call& call) {
  const auto text = query_param(call, "limit");
  if (!text) return 20;
  const auto n = parse_whole_number(*text, 1000);
  if (n && *n >= 1) return static_cast<int>(*n);
  throw service::bad_request("'limit' must be a whole number from 1 to 1000");
}

}  // namespace dagctl::daemon::api
