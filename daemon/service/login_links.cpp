#include "daemon/service/login_links.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/random.hpp"
#include "daemon/service/secret_map.hpp"

namespace dagctl::daemon::service {

namespace {
constexpr std::size_t kCodeChars = 43;  // over 250 bits (base62: 5.95 bits a character)
}  // namespace

LoginLink LoginLinks::create() {
  LoginLink out{common::random_base62(kCodeChars), now_() + kLifetime};
  std::lock_guard lock(mutex_);
  secret_map::make_room(links_, kMax, now_(), [](common::TimePoint t) { return t; });
  links_[common::sha256_hex(out.code)] = out.expires_at;
  return out;
}

bool LoginLinks::redeem(std::string_view code) {
  std::lock_guard lock(mutex_);
  const auto it = secret_map::find(links_, code);
  if (it == links_.end()) return false;
  const bool live = it->second > now_();
  links_.erase(it);  // single use; an expired one goes too
  return live;
}

std::size_t LoginLinks::live() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  return static_cast<std::size_t>(std::count_if(links_.begin(), links_.end(), [&](const auto& e) { return e.second > now; }));
}

}  // namespace dagctl::daemon::service
