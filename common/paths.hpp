// Where the CLI and the daemon find each other (docs/daemon.md#where-things-are): the data
// dir, the socket inside it and the config file. The one place that resolves them, so that
// a login shell, cron (HOME but no XDG_RUNTIME_DIR) and the systemd user unit agree.
#pragma once

#include <string>
#include <vector>

#include "common/config_file.hpp"
#include "common/result.hpp"

namespace dagctl::common {

// $XDG_STATE_HOME/dagctl, else ~/.local/state/dagctl; an error when neither is set.
Result<std::string> default_data_dir();
// DATA_DIR/dagctl.sock: the socket when no flag, variable or config file names one.
std::string socket_in(const std::string& data_dir);
// A Unix socket path holds at most 107 bytes (sun_path); the error says to pass --socket.
Result<void> check_socket_path(const std::string& path);

// DAGCTL_CONFIG, else $XDG_CONFIG_HOME/dagctl/dagctld.conf, else
// ~/.config/dagctl/dagctld.conf; empty when none of them is set.
std::string config_file_path();
// True when the path came from DAGCTL_CONFIG: then the file must exist.
bool config_file_named();

struct Locations {
  std::string data_dir;     // empty only when the socket was given and no default exists
  std::string socket;
  std::string config_file;  // the file read, empty when there is none
  std::vector<ConfigEntry> config;
};

// The CLI's view: each from its flag (when not empty), else DAGCTL_DATA_DIR / DAGCTL_SOCKET,
// else `data-dir` / `socket` in the config file, else the default (the socket in the data
// dir). Errors name the config file and line, or say which flag to pass.
Result<Locations> resolve_locations(const std::string& data_dir_flag, const std::string& socket_flag);

// dagctl's socket when --socket is absent: resolve_locations("", "").socket. An empty
// string when neither HOME nor XDG_STATE_HOME is set (then --socket is needed); throws
// std::runtime_error for a config file that cannot be read or parsed.
std::string default_socket_path();

// Creates `dir` (and parents) if missing. When `private_dir`, the last component is made
// 0700 and must be owned by this user; otherwise the error says what to fix.
Result<void> ensure_directory(const std::string& dir, bool private_dir);

}  // namespace dagctl::common
