// A job's webhook: its delivery log, a test event, the signing secret (local users only),
// and resending a delivery (docs/webhooks.md, Delivery log, resend and test).
#include <nlohmann/json.hpp>

#include <string>

#include "daemon/api/http_util.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/api/views.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

void register_webhook_routes(RouteTable& table, service::Service& service) {
  // {id} is the project's: the name docs/openapi.yaml gives it.
  const std::string job = "/api/v1/projects/{id}/jobs/{job_id}";
  table.add("GET", job + "/deliveries", Scope::read,
            [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    json list = json::array();
    for (const auto& d : service.deliveries(params.get("id"), params.get("job_id"), limit_param(call))) {
      list.push_back(delivery_json(d, service.delivery_attempts(d.id), call.may(Scope::admin)));
    }
    send_json(res, 200, {{"deliveries", list}});
  });
  table.add("POST", job + "/webhook/test", Scope::admin,
            [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    // ?kind=slack tests the job's Slack notification instead (docs/notifications.md, Testing).
    const auto kind = query_param(call, "kind").value_or(store::delivery_kind::webhook);
    if (kind != store::delivery_kind::webhook && kind != store::delivery_kind::slack) {
      throw service::bad_request("'kind' must be webhook or slack");
    }
    const auto d = kind == store::delivery_kind::slack ? service.test_slack(params.get("id"), params.get("job_id"))
                                                       : service.test_webhook(params.get("id"), params.get("job_id"));
    send_json(res, 202, delivery_json(d, {}, call.may(Scope::admin)));
  });
  // The signing secret never leaves the machine (docs/api.md, The signing secret).
  table.add_local_only("GET", job + "/webhook/secret", [&service](const Call&, httplib::Response& res, const PathParams& params) {
    send_json(res, 200, {{"secret", service.webhook_secret(params.get("id"), params.get("job_id"))}});
  });
  table.add_local_only("POST", job + "/webhook/secret/rotate",
                       [&service](const Call&, httplib::Response& res, const PathParams& params) {
    send_json(res, 200, {{"secret", service.rotate_webhook_secret(params.get("id"), params.get("job_id"))}});
  });
  table.add("POST", "/api/v1/deliveries/{delivery_id}/redeliver", Scope::admin,
            [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    const auto d = service.redeliver(params.get("delivery_id"));
    send_json(res, 202, delivery_json(d, service.delivery_attempts(d.id), call.may(Scope::admin)));
  });
}

}  // namespace dagctl::daemon::api
