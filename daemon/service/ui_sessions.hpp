// The web UI's browser sessions (docs/security.md#web-ui), held in memory only: a daemon
// restart logs everyone out. A session's id (the cookie's value) is kept as its SHA-256 and
// compared in constant time; sessions expire after 12 hours, and at most 1,000 live at a
// time (a new one drops the oldest) so that a flood of logins cannot grow memory; at most
// 50 of them per token, so that one token's logins cannot push out the others'.
// Thread-safe: listeners answer on many threads. The links that start local sessions are
// login_links.hpp's.
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

class UiSessions {
public:
  using Now = std::function<common::TimePoint()>;
  static constexpr std::chrono::hours kSessionLifetime{12};
  static constexpr std::size_t kMaxSessions = 1000;
  // One token's sessions: a flood of logins with one (even read-only) token drops that
  // token's oldest sessions, not everyone's.
  static constexpr std::size_t kMaxSessionsPerToken = 50;

  explicit UiSessions(Now now = common::now) : now_(std::move(now)) {}

  // The socket owner's, for a login link that was redeemed.
  NewSession create_local_session();
  NewSession create_token_session(store::TokenScope scope, std::string token_sha256);
  // The live session a cookie value names.
  std::optional<UiSession> find(std::string_view id);
  void end(const std::string& key);

  std::size_t live_sessions();

private:
  NewSession add_session(SessionKind kind, store::TokenScope scope, std::string token_sha256);
  // Makes room for one more session of this token under kMaxSessionsPerToken; mutex_ held.
  void drop_oldest_of_token(const std::string& token_sha256);

  Now now_;
  std::mutex mutex_;
  std::map<std::string, UiSession> sessions_;  // by key
};

}  // namespace dagctl::daemon::service
