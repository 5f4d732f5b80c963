// Helpers shared by the unit tests: a temporary folder per test and waiting with a deadline.
#pragma once

#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "daemon/runner/executor.hpp"

namespace dagctl::test {

// How long a test waits for what should happen at once before it counts as never.
inline constexpr std::chrono::seconds kDeadline{10};

// Sets and unsets environment variables for one test, restoring each as it was.
class EnvGuard {
public:
  EnvGuard() = default;
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void set(const std::string& name, const std::string& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    ::unsetenv(name.c_str());
  }

private:
  void save(const std::string& name) {
    if (saved_.count(name)) return;
    const char* value = std::getenv(name.c_str());
    saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

// Where temporary folders go. SQLite here runs with synchronous=FULL: on a busy disk every
// commit waits for fsync. A RAM file system keeps the suite fast; TMPDIR, when set, wins.
inline std::filesystem::path temp_root() {
  if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir && *tmpdir) return tmpdir;
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

// A new empty folder "dagctl-unit-XXXXXX" under temp_root(), removed with all it holds.
class TempDir {
public:
  TempDir() {
    std::string tmpl = (temp_root() / "dagctl-unit-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

// Waits for a condition nobody can notify us of (a process we are not the parent of),
// checking it until the deadline; false if it never held.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = kDeadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Another process's transaction holding the database's write lock, as `sqlite3 dagctl.db`
// with BEGIN IMMEDIATE does, until release() or the end of the scope.
class OutsideLock {
public:
  explicit OutsideLock(const std::string& path) : db_(path, SQLite::OPEN_READWRITE) { db_.exec("BEGIN IMMEDIATE"); }
  ~OutsideLock() { release(); }
  void release() {
    if (held_) db_.exec("ROLLBACK");
    held_ = false;
  }

private:
  SQLite::Database db_;
  bool held_ = true;
};

// A RunExecutor for tests whose dispatcher is never started: runs they trigger stay queued.
class NoExecutor : public daemon::runner::RunExecutor {
public:
  daemon::runner::Outcome execute(const daemon::runner::RunContext&, daemon::runner::RunControl&,
                                  const daemon::runner::RunCallbacks&) override {
    return {};
  }
};

}  // namespace dagctl::test
