#include "daemon/app/lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace dagctl::daemon::app {

LockFile::LockFile(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (!fd_) throw std::runtime_error("cannot open lock file " + path);
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    char buffer[32] = {};
    [[maybe_unused]] auto n = ::pread(fd_.get(), buffer, sizeof buffer - 1, 0);
    std::string pid(buffer);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw std::runtime_error("another dagctld (pid " + (pid.empty() ? std::string("?") : pid) +
                             ") is already using this data dir; stop it (dagctl daemon stop) or "
                             "pass another --data-dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), pid.data(), pid.size(), 0) < 0) {
    throw std::runtime_error("cannot write lock file " + path);
  }
}

}  // namespace dagctl::daemon::app
