// The pause between tries of something that failed in a background thread (a database
// another process holds locked, a full disk): 100 ms, doubling up to 5 s
// (docs/architecture.md, "Store errors").
#pragma once

#include <algorithm>
#include <chrono>

namespace dagctl::common {

class Backoff {
public:
  static constexpr std::chrono::milliseconds kFirst{100};
  static constexpr std::chrono::milliseconds kMax{5000};

  std::chrono::milliseconds next() {
    const auto delay = delay_;
    delay_ = std::min(delay_ * 2, kMax);
    return delay;
  }
  void reset() { delay_ = kFirst; }

private:
  std::chrono::milliseconds delay_ = kFirst;
};

}  // namespace dagctl::common
