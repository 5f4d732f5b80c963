// LockFile: the "one daemon per data dir" guard. flock() on DATA_DIR/dagctld.lock, taken
// before anything binds; the kernel drops it when the process dies, even by kill -9.
#pragma once

#include <string>

#include "common/fd.hpp"

namespace dagctl::daemon::app {

class LockFile {
public:
  // Throws with a message naming the other daemon's pid when the lock is held.
  explicit LockFile(const std::string& path);

private:
  common::Fd fd_;
};

}  // namespace dagctl::daemon::app
