// Where the daemon keeps its state and its socket when no flag or variable says otherwise
// (docs/daemon.md). Shared so that the CLI finds the daemon's default socket.
#pragma once

#include <string>

#include "common/result.hpp"

namespace dagctl::common {

// $XDG_STATE_HOME/dagctl, else ~/.local/state/dagctl; an error when neither is set.
Result<std::string> default_data_dir();
// $XDG_RUNTIME_DIR/dagctl/dagctl.sock, else /tmp/dagctl-<uid>/dagctl.sock.
std::string default_socket_path();
// DAGCTL_SOCKET if set and not empty, else default_socket_path().
std::string socket_path_from_env();

// Creates `dir` (and parents) if missing. When `private_dir`, the last component is made
// 0700 and must be owned by this user; otherwise the error says what to fix.
Result<void> ensure_directory(const std::string& dir, bool private_dir);

}  // namespace dagctl::common
