// Start-up recovery after a crash (docs/runs.md): runs the store says are running on this
// daemon (store.owner()) belong to its previous life, which died. Their dbt processes are stopped and the runs end `error`.
#pragma once

#include <chrono>
#include <string>

#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"

namespace dagctl::daemon::runner {

// Returns how many runs it ended.
// Their webhooks are owed as for any other end (through `outbox`, when given). With
// `data_dir`, the node records dbt logged after the daemon died are read from each run's
// JSON log first; nodes still running end `interrupted` (docs/runs.md, Node records).
int recover_interrupted_runs(store::Store& store, std::chrono::milliseconds stop_grace,
                             webhooks::Outbox* outbox = nullptr, const std::string& data_dir = "");

}  // namespace dagctl::daemon::runner
