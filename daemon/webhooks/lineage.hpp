// OpenLineage run events (docs/openlineage.md): pure functions from a RunContext to the
// deliveries of kind `openlineage` a run owes, one delivery per RunEvent. The run's START
// is owed when it starts (RunStore::mark_running); its end, and each model's START and
// end, when it ends (RunStore::finish).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time.hpp"
#include "daemon/store/models.hpp"
#include "daemon/webhooks/run_context.hpp"

namespace dagctl::daemon::webhooks {

// The version of the OpenLineage spec the events follow (tests validate against it).
inline constexpr const char* kOpenLineageSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
constexpr std::size_t kMaxLineageModels = 500;        // models with events per run; the rest counted
constexpr std::size_t kMaxLineageBody = 256u << 10;   // one event's JSON; the SQL facet goes first

// Where a project's events go: its openlineage_url, else the daemon's; empty: off.
std::string lineage_target(const RunContext& context);
// OpenLineage's HTTP transport: a base URL (no path, or "/") posts to <url>/api/v1/lineage;
// a URL with a path is used as it is.
std::string lineage_endpoint(const std::string& url);
// A UUIDv7-shaped id: the 48-bit millisecond time of `at`, then a SHA-256 of `key`, so the
// same run or model always gets the same runId.
std::string lineage_uuid(common::TimePoint at, std::string_view key);

// The run's START (from RunStore::mark_running, with the run as stored).
std::vector<store::Delivery> lineage_started(const RunContext& context, const store::Run& started);
// The run's end, and each model's START and end (from RunStore::finish).
std::vector<store::Delivery> lineage_owed(const RunContext& context, const store::Run& finished);

}  // namespace dagctl::daemon::webhooks
