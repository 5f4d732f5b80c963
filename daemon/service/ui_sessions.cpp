#include "daemon/service/ui_sessions.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/random.hpp"

namespace dagctl::daemon::service {

namespace {

// 256 bits and more of randomness each (base62: 5.95 bits a character).
constexpr std::size_t kSessionIdChars = 43;
constexpr std::size_t kLinkCodeChars = 43;
constexpr std::size_t kCsrfChars = 32;
// Longer input is no session id or code of ours: refuse it before hashing.
constexpr std::size_t kMaxSecretChars = 128;

// Drops the expired entries, then the soonest to expire (the oldest: lifetimes are fixed)
// until one more fits under `cap`.
template <typename Map, typename Expiry>
void make_room(Map& map, std::size_t cap, common::TimePoint now, Expiry expiry) {
  std::erase_if(map, [&](const auto& entry) { return expiry(entry.second) <= now; });
  while (!map.empty() && map.size() >= cap) {
    map.erase(std::min_element(map.begin(), map.end(), [&](const auto& a, const auto& b) {
      return expiry(a.second) < expiry(b.second);
    }));
  }
}

// The entry a secret names: found by its hash (so timing tells nothing of the secret), and
// the hash compared once more in constant time as the token check does.
template <typename Map>
typename Map::iterator find_by_secret(Map& map, std::string_view secret) {
  if (secret.empty() || secret.size() > kMaxSecretChars) return map.end();
  const std::string key = common::sha256_hex(secret);
  const auto it = map.find(key);
  if (it == map.end() || !common::constant_time_equals(it->first, key)) return map.end();
  return it;
}

}  // namespace

const char* to_string(SessionKind kind) { return kind == SessionKind::local ? "local" : "token"; }

LoginLink UiSessions::create_link() {
  LoginLink out{common::random_base62(kLinkCodeChars), now_() + kLinkLifetime};
  std::lock_guard lock(mutex_);
  make_room(links_, kMaxLinks, now_(), [](common::TimePoint t) { return t; });
  links_[common::sha256_hex(out.code)] = out.expires_at;
  return out;
}

std::optional<NewSession> UiSessions::redeem_link(std::string_view code) {
  {
    std::lock_guard lock(mutex_);
    const auto it = find_by_secret(links_, code);
    if (it == links_.end()) return std::nullopt;
    const bool live = it->second > now_();
    links_.erase(it);  // single use, and an expired one is gone too
    if (!live) return std::nullopt;
  }
  return add_session(SessionKind::local, store::TokenScope::admin, "");
}

NewSession UiSessions::create_token_session(store::TokenScope scope, std::string token_sha256) {
  return add_session(SessionKind::token, scope, std::move(token_sha256));
}

NewSession UiSessions::add_session(SessionKind kind, store::TokenScope scope, std::string token_sha256) {
  NewSession out;
  out.id = common::random_base62(kSessionIdChars);
  auto& s = out.session;
  s.key = common::sha256_hex(out.id);
  s.kind = kind;
  s.scope = scope;
  s.token_sha256 = std::move(token_sha256);
  s.csrf_token = common::random_base62(kCsrfChars);
  s.expires_at = now_() + kSessionLifetime;
  std::lock_guard lock(mutex_);
  make_room(sessions_, kMaxSessions, now_(), [](const UiSession& x) { return x.expires_at; });
  sessions_[s.key] = s;
  return out;
}

std::optional<UiSession> UiSessions::find(std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto it = find_by_secret(sessions_, id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires_at <= now_()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void UiSessions::end(const std::string& key) {
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

std::size_t UiSessions::live_sessions() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  return static_cast<std::size_t>(
      std::count_if(sessions_.begin(), sessions_.end(), [&](const auto& e) { return e.second.expires_at > now; }));
}

std::size_t UiSessions::live_links() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  return static_cast<std::size_t>(
      std::count_if(links_.begin(), links_.end(), [&](const auto& e) { return e.second > now; }));
}

}  // namespace dagctl::daemon::service
