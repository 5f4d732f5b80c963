// API tokens: list, create, revoke. Local-only: whoever can reach the socket owns the
// daemon anyway (docs/api.md, Local-only routes).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "common/time.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {

json token_json(const store::Token& t) {
  auto time_or_null = [](const std::optional<common::TimePoint>& v) {
    return v ? json(common::to_rfc3339(*v)) : json(nullptr);
  };
  return {{"id", t.id},
          {"name", t.name},
          {"scope", store::to_string(t.scope)},
          {"created_at", common::to_rfc3339(t.created_at)},
          {"expires_at", time_or_null(t.expires_at)},
          {"last_used_at", time_or_null(t.last_used_at)},
          {"revoked_at", time_or_null(t.revoked_at)}};
}

}  // namespace

void register_token_routes(RouteTable& table, service::Tokens& tokens) {
  table.add_local_only("GET", "/api/v1/tokens", [&tokens](const Call&, httplib::Response& res, const PathParams&) {
    json list = json::array();
    for (const auto& t : tokens.list()) list.push_back(token_json(t));
    send_json(res, 200, {{"tokens", list}});
  });
  table.add_local_only("POST", "/api/v1/tokens", [&tokens](const Call& call, httplib::Response& res, const PathParams&) {
    const json body = *json_body(call, true);
    reject_unknown_fields(body, {"name", "expires_in_days", "scope"});
    if (!body.contains("name") || !body["name"].is_string()) throw service::bad_request("field 'name' (a string) is required");
    auto scope = service::Tokens::kDefaultScope;
    if (body.contains("scope") && !body["scope"].is_null()) {
      const auto parsed = body["scope"].is_string() ? store::parse_token_scope(body["scope"].get<std::string>())
                                                    : std::nullopt;
      if (!parsed) throw service::bad_request("field 'scope' must be \"read\", \"trigger\" or \"admin\"");
      scope = *parsed;
    }
    std::optional<int> days;
    if (body.contains("expires_in_days") && !body["expires_in_days"].is_null()) {
      if (!body["expires_in_days"].is_number_integer()) throw service::bad_request("field 'expires_in_days' must be a whole number");
      days = body["expires_in_days"].get<int>();
    }
    const auto created = tokens.create(body["name"].get<std::string>(), days, scope);
    json out = token_json(created.token);
    out["token"] = created.secret;
    send_json(res, 201, out);
  });
  table.add_local_only("DELETE", "/api/v1/tokens/{token_id}", [&tokens](const Call&, httplib::Response& res, const PathParams& params) {
    send_json(res, 200, token_json(tokens.revoke(params.get("token_id"))));
  });
}

}  // namespace dagctl::daemon::api
