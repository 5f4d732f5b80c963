// API tokens: only the SHA-256 of each secret is kept.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

class TokenStore {
public:
  explicit TokenStore(Connection& db) : db_(db) {}

  void insert(const Token& token);
  std::vector<Token> list();
  std::optional<Token> find_by_hash(const std::string& secret_sha256);
  // False when there is no such token or it was revoked already.
  bool revoke(const std::string& id, TimePoint when);
  void touch(const std::string& id, TimePoint when);

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
