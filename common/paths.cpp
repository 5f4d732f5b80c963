#include "common/paths.hpp"

#include <sys/stat.h>
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

std::string home_dir() {
  std::string home = env_or_empty("HOME");
  if (home.empty()) throw std::runtime_error("HOME is not set; pass --data-dir");
  return home;
}
}  // namespace

std::string default_data_dir() {
  std::string state = env_or_empty("XDG_STATE_HOME");
  if (!state.empty()) return state + "/dagctl";
  return home_dir() + "/.local/state/dagctl";
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

void ensure_directory(const std::string& dir, bool private_dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
  if (!private_dir) return;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw std::runtime_error(dir + " is not a directory");
  }
  // A folder under /tmp could have been made by someone else to catch our socket.
  if (st.st_uid != ::getuid()) {
    throw std::runtime_error(dir + " is owned by another user; remove it or pass --socket");
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) {
    throw std::runtime_error("cannot make " + dir + " private (chmod 0700)");
  }
}

}  // namespace dagctl::common
