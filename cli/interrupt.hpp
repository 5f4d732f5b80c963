// Ctrl-C and terminal resizes while the CLI follows a run (docs/cli.md#ctrl-c), taken at
// one point: SIGINT and SIGWINCH are blocked in every thread while a SignalWatch lives
// (so create it before any thread), and the following loop asks `next()` for them.
#pragma once

#include <chrono>
#include <csignal>

namespace dagctl::cli {

enum class SignalEvent { none, interrupt, resize };

class SignalWatch {
public:
  SignalWatch();
  // Drops what is still pending (a Ctrl-C after the run ended) and unblocks.
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // Waits up to `timeout` for SIGINT or SIGWINCH.
  SignalEvent next(std::chrono::milliseconds timeout);

private:
  sigset_t watched_{};
  sigset_t previous_{};
};

}  // namespace dagctl::cli
