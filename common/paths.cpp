#include "common/paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

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

std::string default_socket_path() {
  std::string runtime = env_or_empty("XDG_RUNTIME_DIR");
  if (!runtime.empty()) return runtime + "/dagctl/dagctl.sock";
  return "/tmp/dagctl-" + std::to_string(::getuid()) + "/dagctl.sock";
}

std::string socket_path_from_env() {
  std::string from_env = env_or_empty("DAGCTL_SOCKET");
  return from_env.empty() ? default_socket_path() : from_env;
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
  // A folder under /tmp could have been made by someone else to catch our socket.
  if (st.st_uid != ::getuid()) {
    return make_error(dir + " is owned by another user; remove it or pass --socket");
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) {
    return make_error("cannot make " + dir + " private (chmod 0700)");
  }
  return {};
}

}  // namespace dagctl::common
