#include "common/paths.hpp"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace dagctl::common {

namespace {
std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

}  // namespace

Result<std::string> default_data_dir() {
  std::string state = env_or_empty("XDG_STATE_HOME");
  if (!state.empty()) return state + "/dagctl";
  std::string home = env_or_empty("HOME");
  if (home.empty()) return make_error("neither XDG_STATE_HOME nor HOME is set; pass --data-dir");
  return home + "/.local/state/dagctl";
}

std::string socket_in(const std::string& data_dir) { return data_dir + "/dagctl.sock"; }

Result<void> check_socket_path(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return make_error("the socket path " + path + " is " + std::to_string(path.size()) +
                      " bytes, more than a Unix socket allows (" + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                      "); pass a shorter --socket (or set socket in the config file)");
  }
  return {};
}

std::string config_file_path() {
  if (std::string named = env_or_empty("DAGCTL_CONFIG"); !named.empty()) return named;
  if (std::string config = env_or_empty("XDG_CONFIG_HOME"); !config.empty()) return config + "/dagctl/dagctld.conf";
  if (std::string home = env_or_empty("HOME"); !home.empty()) return home + "/.config/dagctl/dagctld.conf";
  return "";
}

bool config_file_named() { return !env_or_empty("DAGCTL_CONFIG").empty(); }

Result<Locations> resolve_locations(const std::string& data_dir_flag, const std::string& socket_flag) {
  Locations out;
  out.data_dir = !data_dir_flag.empty() ? data_dir_flag : env_or_empty("DAGCTL_DATA_DIR");
  out.socket = !socket_flag.empty() ? socket_flag : env_or_empty("DAGCTL_SOCKET");
  const std::string config_path = config_file_path();
  if (!config_path.empty()) {
    auto entries = read_config_file(config_path, config_file_named());
    if (!entries) return make_error(entries.error());
    out.config = std::move(entries).value();
    if (!out.config.empty() || std::filesystem::exists(config_path)) out.config_file = config_path;
  }
  if (out.data_dir.empty()) {
    if (const auto* e = find_entry(out.config, "data-dir")) out.data_dir = e->value;
  }
  if (out.socket.empty()) {
    if (const auto* e = find_entry(out.config, "socket")) out.socket = e->value;
  }
  if (out.data_dir.empty()) {
    auto dir = default_data_dir();
    if (!dir) {
      if (!out.socket.empty()) return out;  // the socket is all the CLI needs
      return make_error(dir.error() + " or --socket");
    }
    out.data_dir = std::move(dir).value();
  }
  if (out.socket.empty()) {
    out.socket = socket_in(out.data_dir);
    if (auto fits = check_socket_path(out.socket); !fits) return make_error(fits.error());
  }
  return out;
}

std::string default_socket_path() {
  auto where = resolve_locations("", "");
  if (where) return where->socket;
  // No HOME: only --socket can say where the daemon is; the client says so if it is missing.
  if (!default_data_dir()) return "";
  throw std::runtime_error(where.error());
}

Result<void> ensure_directory(const std::string& dir, bool private_dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create directory " + dir + ": " + ec.message());
  if (!private_dir) return {};
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(dir + " is not a directory");
  }
  // A folder shared with others could have been made by someone else to catch our socket.
  if (st.st_uid != ::getuid()) {
    return make_error(dir + " is owned by another user; remove it or pass --socket");
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) {
    return make_error("cannot make " + dir + " private (chmod 0700)");
  }
  return {};
}

}  // namespace dagctl::common
