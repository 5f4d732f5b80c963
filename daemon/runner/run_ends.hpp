// RunEnds: lets log followers wait for "some run ended" instead of polling the store, so a
// follower's stream closes as soon as its run does (docs/benchmarks.md: polling every
// 100 ms added up to 100 ms to every `trigger --wait`).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace dagctl::daemon::runner {

class RunEnds {
public:
  // How many runs have ended so far: read it before looking at a run's status.
  std::uint64_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++count_;
    }
    ended_.notify_all();
  }
  // Returns once a run ended after `seen` was read (at once if one did meanwhile) or after
  // `timeout`, whichever comes first.
  void wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ended_.wait_for(lock, timeout, [&] { return count_ != seen; });
  }

private:
  std::mutex mutex_;
  std::condition_variable ended_;
  std::uint64_t count_ = 0;
};

}  // namespace dagctl::daemon::runner
