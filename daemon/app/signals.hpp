// Signals are blocked in every thread from the start and taken at one known point:
// wait_for_stop_signal() in the main thread (the ninja way, without async handlers).
#pragma once

namespace dagctl::daemon::app {

// Call first in main(), before any thread exists, so all threads inherit the mask.
void block_stop_signals();
// Returns the signal (SIGINT, SIGTERM or SIGHUP) that asked the daemon to stop.
int wait_for_stop_signal();

}  // namespace dagctl::daemon::app
