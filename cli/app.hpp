// The dagctl CLI's entry point.
#pragma once

namespace dagctl::cli {

// Returns the process exit code (docs/cli.md). Never throws.
int run(int argc, char** argv);

}  // namespace dagctl::cli
