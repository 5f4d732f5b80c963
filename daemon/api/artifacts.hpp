// A run's artifacts over HTTP (GET /api/v1/runs/{run_id}/artifacts/{path...}, docs/api.md,
// Artifacts): one file of the run's dbt target folder, streamed a buffer at a time.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace dagctl::daemon::api {

struct ArtifactEntry {
  std::string name;
  std::uint64_t size = 0;
  common::TimePoint modified_at;
};

// The regular files at the top of run `run_id`'s target folder, by name (GET
// /api/v1/runs/{run_id}/artifacts). Symlinks and folders are left out; a folder that is
// gone or unreadable lists nothing.
std::vector<ArtifactEntry> list_artifacts(const std::string& data_dir, const std::string& run_id);

// Answers `req` with the file `rel` (e.g. run_results.json) of run `run_id`'s target
// folder under `data_dir`. `rel` may not be absolute, hold "..", or lead out of the folder
// through a symlink (400 / 404).
void serve_artifact(const httplib::Request& req, httplib::Response& res, const std::string& data_dir,
                    const std::string& run_id, const std::string& rel);

}  // namespace dagctl::daemon::api
