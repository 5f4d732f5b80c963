// A run's artifacts over HTTP (GET /api/v1/runs/{run_id}/artifacts/{path...}, docs/api.md,
// Artifacts): one file of the run's dbt target folder, streamed a buffer at a time.
#pragma once

#include <httplib.h>

#include <string>

namespace dagctl::daemon::api {

// Answers `req` with the file `rel` (e.g. run_results.json) of run `run_id`'s target
// folder under `data_dir`. `rel` may not be absolute, hold "..", or lead out of the folder
// through a symlink (400 / 404).
void serve_artifact(const httplib::Request& req, httplib::Response& res, const std::string& data_dir,
                    const std::string& run_id, const std::string& rel);

}  // namespace dagctl::daemon::api
