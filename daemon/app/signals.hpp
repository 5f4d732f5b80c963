// Signals are blocked in every thread from the start and taken at one known point:
// wait_for_stop_signal() in the main thread, by sigwait. Like ninja, the daemon learns of a
// signal only where it looks for one; unlike ninja (a handler that sets a flag, read after
// pselect) there is no handler at all, so no code runs in signal context.
#pragma once

namespace dagctl::daemon::app {

// Call first in main(), before any thread exists, so all threads inherit the mask.
void block_stop_signals();
// Returns the signal (SIGINT, SIGTERM or SIGHUP) that asked the daemon to stop.
int wait_for_stop_signal();

}  // namespace dagctl::daemon::app
