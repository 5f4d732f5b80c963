#include "daemon/store/token_store.hpp"

#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

const std::string kColumns = "id, org_id, name, secret_sha256, created_at, expires_at, last_used_at, revoked_at, scope";
const std::string kSelect = "SELECT " + kColumns + " FROM tokens";

Token read_token(Statement& s) {
  Token t;
  t.id = s.getColumn("id").getString();
  t.org_id = s.getColumn("org_id").getString();
  t.name = s.getColumn("name").getString();
  t.secret_sha256 = s.getColumn("secret_sha256").getString();
  t.created_at = sql::time(s.getColumn("created_at"));
  t.expires_at = sql::opt_time(s.getColumn("expires_at"));
  t.last_used_at = sql::opt_time(s.getColumn("last_used_at"));
  t.revoked_at = sql::opt_time(s.getColumn("revoked_at"));
  // A scope this version does not know (a row edited by hand) grants the least.
  t.scope = parse_token_scope(s.getColumn("scope").getString()).value_or(TokenScope::read);
  return t;
}

}  // namespace

void TokenStore::insert(const Token& t) {
  WriteTx tx(db_);
  auto s = tx.statement("INSERT INTO tokens (" + kColumns + ") VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)");
  s->bind(1, t.id);
  s->bind(2, t.org_id);
  s->bind(3, t.name);
  s->bind(4, t.secret_sha256);
  s->bind(5, common::to_millis(t.created_at));
  sql::bind_opt_time(*s, 6, t.expires_at);
  s->bind(7, to_string(t.scope));
  s->exec();
  tx.commit();
}

std::vector<Token> TokenStore::list() {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " ORDER BY created_at");
  std::vector<Token> out;
  while (s->executeStep()) out.push_back(read_token(*s));
  return out;
}

std::optional<Token> TokenStore::find_by_hash(const std::string& secret_sha256) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE secret_sha256 = ?");
  s->bind(1, secret_sha256);
  if (!s->executeStep()) return std::nullopt;
  return read_token(*s);
}

bool TokenStore::revoke(const std::string& id, TimePoint when) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  s->bind(1, common::to_millis(when));
  s->bind(2, id);
  const bool changed = s->exec() == 1;
  tx.commit();
  return changed;
}

void TokenStore::touch(const std::string& id, TimePoint when) {
  WriteTx tx(db_);
  auto s = tx.statement("UPDATE tokens SET last_used_at = ? WHERE id = ?");
  s->bind(1, common::to_millis(when));
  s->bind(2, id);
  s->exec();
  tx.commit();
}

}  // namespace dagctl::daemon::store
