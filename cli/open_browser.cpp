#include "cli/open_browser.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

extern char** environ;

namespace dagctl::cli {

namespace {

bool has_display() {
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY"}) {
    const char* value = std::getenv(name);
    if (value && *value) return true;
  }
  return false;
}

// Runs `program url`. A program that exits at once with a failure did not open the page;
// one still running after a moment is the browser itself, left to the user.
std::string spawn(const std::string& program, const std::string& url) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string prog = program;
  std::string arg = url;
  char* argv[] = {prog.data(), arg.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, prog.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return program + " could not be started: " + std::strerror(rc);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
      return program + " failed (" +
             (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                : "signal " + std::to_string(WTERMSIG(status))) +
             ")";
    }
    if (done < 0) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";  // still running: the browser itself
}

}  // namespace

std::string open_in_browser(const std::string& url) {
  if (const char* browser = std::getenv("BROWSER"); browser && *browser) return spawn(browser, url);
  if (!has_display()) return "there is no display (DISPLAY and WAYLAND_DISPLAY are unset)";
  return spawn("xdg-open", url);
}

}  // namespace dagctl::cli
