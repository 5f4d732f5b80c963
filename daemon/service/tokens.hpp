// API tokens (docs/api.md, docs/storage.md): `dctl_` + 40 random base62 characters, shown once,
// stored as SHA-256, checked in constant time on every TCP request. Each has a scope
// (read, trigger, admin) that bounds what it may do (docs/api.md, Token scopes).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/store.hpp"

namespace dagctl::daemon::service {

struct CreatedToken {
  store::Token token;
  std::string secret;  // the only time it exists outside the caller's hands
};

class Tokens {
public:
  Tokens(store::Store& store, std::string org_id) : store_(store), org_id_(std::move(org_id)) {}

  // The scope a token gets when none is asked for: enough to trigger a job and poll its run.
  static constexpr store::TokenScope kDefaultScope = store::TokenScope::trigger;

  CreatedToken create(const std::string& name, std::optional<int> expires_in_days,
                      store::TokenScope scope = kDefaultScope);
  std::vector<store::Token> list() { return store_.tokens().list(); }
  // 404 for an unknown id; revoking twice is harmless.
  store::Token revoke(const std::string& id);
  // The token an `Authorization` header value names. Throws UserError 401 saying what is
  // wrong (missing, malformed, unknown, revoked, expired) — never which tokens exist.
  store::Token authenticate(const std::string& authorization);
  // The same checks for a token known by its secret's SHA-256 (hex): a web UI session
  // logged in with a token asks again on each request (docs/security.md#web-ui).
  store::Token authenticate_hash(const std::string& secret_sha256);
  // Throws UserError 403 naming both scopes when `token` may not do what needs `needed`.
  static void require_scope(const store::Token& token, store::TokenScope needed);

private:
  store::Store& store_;
  std::string org_id_;
  std::mutex mutex_;
  std::map<std::string, common::TimePoint> last_touch_;  // throttles last_used_at writes
};

}  // namespace dagctl::daemon::service
