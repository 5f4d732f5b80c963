// The web UI's one-time login links and browser sessions (docs/security.md#web-ui), held in
// memory only: a daemon restart logs everyone out. Links, session ids and nothing else that
// grants access are kept as SHA-256 and compared in constant time; both expire, both are
// capped (the oldest goes first) so that a flood of logins cannot grow memory. Thread-safe:
// listeners answer on many threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::service {

// "local": from `dagctl ui`, the socket owner's (everything, local-only routes too).
// "token": logged in with a `dctl_` token, whose scope it has while the token stays valid.
enum class SessionKind { local, token };
const char* to_string(SessionKind kind);

struct UiSession {
  std::string key;  // SHA-256 (hex) of the cookie's value: what the session is found by
  SessionKind kind = SessionKind::local;
  store::TokenScope scope = store::TokenScope::admin;
  std::string token_sha256;  // token sessions: the token to check again on each request
  std::string csrf_token;    // sent back by the page in X-CSRF-Token on each change
  common::TimePoint expires_at;
};

struct NewSession {
  std::string id;  // the cookie's value; exists only in this answer and the browser
  UiSession session;
};

struct LoginLink {
  std::string code;  // for the URL; exists only in this answer
  common::TimePoint expires_at;
};

class UiSessions {
public:
  using Now = std::function<common::TimePoint()>;
  static constexpr std::chrono::hours kSessionLifetime{12};
  static constexpr std::chrono::minutes kLinkLifetime{2};
  static constexpr std::size_t kMaxSessions = 1000;
  static constexpr std::size_t kMaxLinks = 100;

  explicit UiSessions(Now now = common::now) : now_(std::move(now)) {}

  LoginLink create_link();
  // A local session for a live link's code; the link is spent whatever follows. nullopt
  // for a code that is unknown, used or expired.
  std::optional<NewSession> redeem_link(std::string_view code);
  NewSession create_token_session(store::TokenScope scope, std::string token_sha256);
  // The live session a cookie value names.
  std::optional<UiSession> find(std::string_view id);
  void end(const std::string& key);

  std::size_t live_sessions();
  std::size_t live_links();

private:
  NewSession add_session(SessionKind kind, store::TokenScope scope, std::string token_sha256);

  Now now_;
  std::mutex mutex_;
  std::map<std::string, UiSession> sessions_;          // by key
  std::map<std::string, common::TimePoint> links_;     // SHA-256 of the code → expiry
};

}  // namespace dagctl::daemon::service
