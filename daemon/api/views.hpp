// How projects, jobs and runs look as JSON (docs/api.md). One place, so every route
// renders an object the same way.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/runner/progress.hpp"
#include "daemon/runner/warm/worker_info.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::api {

nlohmann::json project_json(const store::Project& project, const std::vector<store::Job>& jobs);
// `last_run`: the job's newest run, or nullopt when it has none (docs/api.md, Jobs).
nlohmann::json job_json(const store::Job& job, const std::optional<store::RunBrief>& last_run);
// A delivery with its attempts (time, status code, latency, error, first 1 KiB of the answer).
// The receiver's answer is shown only with `with_responses` (admin tokens and the socket):
// the URL may be anything the job's owner chose, so its answer may be anything too.
nlohmann::json delivery_json(const store::Delivery& delivery, const std::vector<store::DeliveryAttempt>& attempts,
                             bool with_responses);
// A queued or running run's `progress` (docs/runs.md, Progress); nodes' elapsed_seconds count to `now`.
nlohmann::json progress_json(const runner::Progress& progress, common::TimePoint now);
// `nodes`: the run's node_counts and slowest_nodes (docs/api.md); none yet when null.
nlohmann::json run_json(const store::Run& run, const std::optional<runner::Progress>& progress,
                        const store::NodeSummary* nodes = nullptr);
// One node record of a run (docs/runs.md, Node records).
nlohmann::json node_json(const store::NodeRecord& node);
// GET /api/v1/daemon's "warm": --warm, --warm-idle and each project's worker
// (docs/runs.md#warm-workers); empty strings of a worker become null.
nlohmann::json warm_json(const std::string& mode, std::int64_t idle_seconds,
                         const std::vector<runner::warm::WorkerInfo>& workers);

}  // namespace dagctl::daemon::api
