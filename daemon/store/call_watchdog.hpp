// A bound on one blocking call over a socket (docs/scale-out.md, When something fails):
// libpq's calls wait for the server's answer without limit, and a frozen server (SIGSTOP,
// a hung host) still acknowledges TCP, so keepalives never notice. When a watched call has
// waited longer than the bound, the watchdog shuts the socket down (shutdown(2), both
// ways): the blocked call fails at once as a broken connection, which the caller already
// handles. One thread per watchdog, asleep while no call is watched.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace dagctl::daemon::store {

class CallWatchdog {
public:
  explicit CallWatchdog(std::chrono::milliseconds bound);
  ~CallWatchdog();
  CallWatchdog(const CallWatchdog&) = delete;
  CallWatchdog& operator=(const CallWatchdog&) = delete;

  std::chrono::milliseconds bound() const { return bound_; }

  // A call on socket `fd` starts (fd < 0: nothing to watch). The caller keeps the socket
  // open until end(): the watchdog may shut it down until then, never after.
  void begin(int fd);
  // The call returned (or threw). True when the watchdog cut it.
  bool end() noexcept;

  // Watches one call for the scope (last_cut() says afterwards whether it was cut).
  class Scope {
  public:
    Scope(CallWatchdog& dog, int fd) : dog_(dog) { dog_.begin(fd); }
    ~Scope() { dog_.end(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

  private:
    CallWatchdog& dog_;
  };

  // Whether the last call watched was cut (read after it ended: for its error message).
  bool last_cut() const;

private:
  void loop();

  const std::chrono::milliseconds bound_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  int fd_ = -1;
  std::uint64_t call_ = 0;  // counts begin(): tells one call from the next on the same fd
  std::chrono::steady_clock::time_point since_;
  bool cut_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace dagctl::daemon::store
