#include "daemon/service/tokens.hpp"

#include <chrono>

#include "common/crypto.hpp"
#include "common/random.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::service {

namespace {
constexpr std::string_view kPrefix = "dctl_";
constexpr size_t kSecretChars = 40;

UserError unauthorized(const std::string& message) { return UserError(401, "unauthorized", message); }
}  // namespace

CreatedToken Tokens::create(const std::string& name, std::optional<int> expires_in_days,
                            store::TokenScope scope) {
  if (name.empty() || name.size() > 100) throw bad_request("a token needs a name of 1-100 characters (--name)");
  if (expires_in_days && (*expires_in_days < 1 || *expires_in_days > 3650)) {
    throw bad_request("expires_in_days must be between 1 and 3650");
  }
  CreatedToken out;
  out.secret = std::string(kPrefix) + common::random_base62(kSecretChars);
  auto& t = out.token;
  t.id = "tok_" + common::random_base62(12);
  t.org_id = org_id_;
  t.name = name;
  t.secret_sha256 = common::sha256_hex(out.secret);
  t.scope = scope;
  t.created_at = common::now();
  if (expires_in_days) t.expires_at = t.created_at + std::chrono::hours(24 * *expires_in_days);
  store_call([&] { store_.tokens().insert(t); });
  return out;
}

store::Token Tokens::revoke(const std::string& id) {
  store_call([&] { return store_.tokens().revoke(id, common::now()); });
  for (auto& t : store_.tokens().list()) {
    if (t.id == id) return t;
  }
  throw not_found("no token '" + id + "'; list them with dagctl token list");
}

store::Token Tokens::authenticate(const std::string& authorization) {
  if (authorization.empty()) {
    throw unauthorized("missing Authorization header; send 'Authorization: Bearer dctl_...' (create one with dagctl token create)");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.compare(0, kBearer.size(), kBearer) != 0 ||
      authorization.compare(kBearer.size(), kPrefix.size(), kPrefix) != 0) {
    throw unauthorized("malformed Authorization header; expected 'Bearer dctl_...'");
  }
  return authenticate_hash(common::sha256_hex(authorization.substr(kBearer.size())));
}

store::Token Tokens::authenticate_hash(const std::string& hash) {
  const auto token = store_.tokens().find_by_hash(hash);
  // The lookup is by hash, so timing says nothing about the secret; compare anyway.
  if (!token || !common::constant_time_equals(token->secret_sha256, hash)) {
    throw unauthorized("unknown token; create one with dagctl token create");
  }
  const auto now = common::now();
  if (token->revoked_at) throw unauthorized("this token was revoked; create a new one with dagctl token create");
  if (token->expires_at && *token->expires_at <= now) {
    throw unauthorized("this token expired at " + common::to_rfc3339(*token->expires_at) +
                       "; create a new one with dagctl token create");
  }
  {
    // One write a minute per token at most: a busy poller must not turn reads into writes.
    std::lock_guard lock(mutex_);
    auto& last = last_touch_[token->id];
    if (now - last < std::chrono::minutes(1)) return *token;
    last = now;
  }
  store_call([&] { store_.tokens().touch(token->id, now); });
  return *token;
}

void Tokens::require_scope(const store::Token& token, store::TokenScope needed) {
  if (token.scope >= needed) return;
  const std::string want = store::to_string(needed);
  throw UserError(403, "forbidden",
                  "this route needs a token with scope '" + want + "'; this token's scope is '" +
                      store::to_string(token.scope) + "' (create one with dagctl token create --scope " + want +
                      ")");
}

}  // namespace dagctl::daemon::service
