// This data dir's daemon id (docs/runs.md, Several daemons): `dmn_` and random characters,
// made at the first start and kept in DATA_DIR/daemon-id, so that a restarted daemon finds
// its own runs again.
#pragma once

#include <string>

#include "common/data_dir.hpp"

namespace dagctl::daemon::app {

std::string load_or_create_daemon_id(const common::DataDir& layout);

}  // namespace dagctl::daemon::app
