// dagctld's entry point: run() owns start-up order, serving and graceful stop.
#pragma once

namespace dagctl::daemon::app {

// Returns the process exit code. Never throws.
int run(int argc, char** argv);

}  // namespace dagctl::daemon::app
