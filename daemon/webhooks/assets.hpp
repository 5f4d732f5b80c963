// Airflow 3 asset events, one per model a run built (docs/airflow.md#per-model-assets):
// which nodes owe one and under which URI (dbt://<project>/<unique_id>,
// sqlmesh://<project>/<model name>), and how one is sent: the asset's id looked up by URI
// (GET /api/v2/assets), then POST /api/v2/assets/events.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/models.hpp"
#include "daemon/webhooks/run_context.hpp"
#include "daemon/webhooks/sender.hpp"

namespace dagctl::daemon::webhooks {

// The most asset events one run owes; models past it get none (the daemon's log says so).
inline constexpr std::size_t kMaxAssetEventsPerRun = 500;
// The delivery log's event word of an asset event.
inline constexpr const char* kAssetEvent = "asset.updated";

// The asset URI of a node of `project`: dbt://<project name>/<unique_id>, or for a SQLMesh
// project sqlmesh://<project name>/<model name>; characters other than letters, digits and
// "-._~" are percent-encoded (e.g. a quoted SQLMesh name). Airflow keeps such URIs as written.
std::string asset_uri(const store::Project& project, const store::NodeRecord& node);
// Whether `node` of a `project_type` project was built: a dbt model, seed or snapshot, or a
// SQLMesh model, whose status is success (a SQLMesh model whose non-blocking audit warned
// was built too: `warn`).
bool built(const std::string& project_type, const store::NodeRecord& node);

// unique_id -> relation name from the run's target/run_results.json (dbt 1.8+ writes it);
// empty when there is none. Read before the run's end transaction (Outbox::owed_for).
std::map<std::string, std::string> read_relation_names(const std::string& run_dir);

// The asset events a finished run owes its job: none unless airflow_assets_url is set;
// one per built node, at most kMaxAssetEventsPerRun. The body is
// {"uri": ..., "extra": {dagctl_run_id, job, project, unique_id, relation_name, status,
// execution_time}}.
std::vector<store::Delivery> asset_owed(const RunContext& context, const store::Run& finished);

// Gets the JWT of an airflow_jwt webhook_auth (Sender's cached one unless `refresh`);
// nullopt with `error` and whether a retry may help when there is none.
using AirflowTokenSource =
    std::function<std::optional<std::string>(const nlohmann::json& auth, bool refresh, std::string& error, bool& retryable)>;

// One attempt at an asset event delivery to the Airflow at d.url: the asset's id by its URI,
// then the event. An asset Airflow does not know is a final failure; 5xx, 429 and
// connection errors may be retried, as for webhooks.
AttemptOutcome attempt_asset_event(const store::Delivery& d, const store::Job& job, const SenderOptions& options,
                                   const AirflowTokenSource& token);

}  // namespace dagctl::daemon::webhooks
