#include "daemon/service/ui_sessions.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/random.hpp"
#include "daemon/service/secret_map.hpp"

namespace dagctl::daemon::service {

namespace {
// Over 250 bits of randomness each (base62: 5.95 bits a character).
constexpr std::size_t kSessionIdChars = 43;
constexpr std::size_t kCsrfChars = 32;
}  // namespace

const char* to_string(SessionKind kind) { return kind == SessionKind::local ? "local" : "token"; }

NewSession UiSessions::create_local_session() { return add_session(SessionKind::local, store::TokenScope::admin, ""); }

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
  if (kind == SessionKind::token) drop_oldest_of_token(s.token_sha256);
  secret_map::make_room(sessions_, kMaxSessions, now_(), [](const UiSession& x) { return x.expires_at; });
  sessions_[s.key] = s;
  return out;
}

void UiSessions::drop_oldest_of_token(const std::string& token_sha256) {
  for (;;) {
    auto oldest = sessions_.end();
    std::size_t count = 0;
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.kind != SessionKind::token || it->second.token_sha256 != token_sha256) continue;
      ++count;
      if (oldest == sessions_.end() || it->second.expires_at < oldest->second.expires_at) oldest = it;
    }
    if (count < kMaxSessionsPerToken) return;
    sessions_.erase(oldest);
  }
}

std::optional<UiSession> UiSessions::find(std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto it = secret_map::find(sessions_, id);
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

}  // namespace dagctl::daemon::service
