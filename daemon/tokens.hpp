// API tokens (CONTRACT §5, §10): `dctl_` + 40 random base62 characters, shown once,
// stored as SHA-256, checked in constant time on every TCP request.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/store.hpp"

namespace dagctl::daemon {

struct CreatedToken {
  store::Token token;
  std::string secret;  // the only time it exists outside the caller's hands
};

class Tokens {
public:
  Tokens(store::Store& store, std::string org_id) : store_(store), org_id_(std::move(org_id)) {}

  CreatedToken create(const std::string& name, std::optional<int> expires_in_days);
  std::vector<store::Token> list() { return store_.list_tokens(); }
  // 404 for an unknown id; revoking twice is harmless.
  store::Token revoke(const std::string& id);
  // The token an `Authorization` header value names. Throws UserError 401 saying what is
  // wrong (missing, malformed, unknown, revoked, expired) — never which tokens exist.
  store::Token authenticate(const std::string& authorization);

private:
  store::Store& store_;
  std::string org_id_;
  std::mutex mutex_;
  std::map<std::string, common::TimePoint> last_touch_;  // throttles last_used_at writes
};

}  // namespace dagctl::daemon
