// The one-time login links `dagctl ui` opens (docs/security.md#web-ui): in memory only,
// kept as the SHA-256 of their code, valid once for 2 minutes, at most 100 unused at a
// time (a new one drops the oldest). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace dagctl::daemon::service {

struct LoginLink {
  std::string code;  // for the URL; exists only in this answer
  common::TimePoint expires_at;
};

class LoginLinks {
public:
  using Now = std::function<common::TimePoint()>;
  static constexpr std::chrono::minutes kLifetime{2};
  static constexpr std::size_t kMax = 100;

  explicit LoginLinks(Now now = common::now) : now_(std::move(now)) {}

  LoginLink create();
  // True once for a live code; the code is spent whatever it was. False for a code that
  // is unknown, used or expired.
  bool redeem(std::string_view code);
  std::size_t live();

private:
  Now now_;
  std::mutex mutex_;
  std::map<std::string, common::TimePoint> links_;  // SHA-256 of the code → expiry
};

}  // namespace dagctl::daemon::service
