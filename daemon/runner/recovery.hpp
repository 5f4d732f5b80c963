// Start-up recovery after a crash (CONTRACT §6.7): runs the store says are running belong
// to a daemon that died. Their dbt processes are stopped and the runs end `error`.
#pragma once

#include "daemon/store/store.hpp"

namespace dagctl::daemon::runner {

// Returns how many runs it ended.
int recover_interrupted_runs(store::Store& store);

}  // namespace dagctl::daemon::runner
