// The job fields of a create or PATCH body (docs/api.md), checked one by one: a pure
// function of the body and the job, so unit tests and the fuzzer call it without a store.
// Every problem is a UserError 400 that names the field and quotes at most a little of
// the value (caps in docs/limits.md).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "daemon/store/models.hpp"
#include "daemon/webhooks/target.hpp"

namespace dagctl::daemon::service {

struct JobFieldRules {
  // Checks a job command (the dbt command grammar); throws UserError. Service supplies it
  // with the caller's trust; it must be set.
  std::function<void(const std::string& command)> check_command;
  webhooks::TargetPolicy targets;  // where webhook_url and webhook_auth.token_url may point
};

// Applies `fields` (a JSON object) to `job`. Throws UserError on the first bad field; `job`
// may then be half-changed, so callers apply to a copy.
void apply_job_fields(store::Job& job, const nlohmann::json& fields, const JobFieldRules& rules);

// A webhook_auth value: null for none, else the object to store.
nlohmann::json parse_webhook_auth(const nlohmann::json& value, const webhooks::TargetPolicy& targets);

}  // namespace dagctl::daemon::service
