// What `dagctl status` says of the daemons sharing the database (docs/cli.md, docs/runs.md
// "Several daemons"), from GET /api/v1/daemon's "daemons". A pure function of that JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dagctl::cli {

// "daemons:  2 share the database (lease 30s)" and one line per daemon
// ("  dmn_x  host  pid 12  0.1.0  heartbeat 2s ago  1 running  (this daemon)", "LOST" for one
// silent longer than the lease). None when this daemon is alone (or an older dagctld).
std::vector<std::string> daemons_status_lines(const nlohmann::json& daemon);

}  // namespace dagctl::cli
