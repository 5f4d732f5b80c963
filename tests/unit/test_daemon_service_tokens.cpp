// Tests for daemon/tokens: token scopes (docs/api.md, Token scopes) as created, stored,
// authenticated and checked, and the scope that tokens made before scopes get.
#include "daemon/service/tokens.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "daemon/service/errors.hpp"
#include "daemon/store/store.hpp"
#include "test_util.hpp"

namespace {

using dagctl::daemon::service::Tokens;
using dagctl::daemon::service::UserError;
using dagctl::daemon::store::TokenScope;
namespace store = dagctl::daemon::store;
using namespace dagctl::test;  // test_util.hpp

class TokensTest : public ::testing::Test {
protected:
  TokensTest() : store_(db_path()), tokens_(store_, store_.projects().default_organization().id) {}
  std::string db_path() const { return dir_.file("dagctl.db"); }

  TempDir dir_;
  store::Store store_;
  Tokens tokens_;
};

TEST_F(TokensTest, EachScopeIsStoredAndComesBackWithTheToken) {
  for (const auto scope : {TokenScope::read, TokenScope::trigger, TokenScope::admin}) {
    const auto created = tokens_.create(std::string("t-") + to_string(scope), std::nullopt, scope);
    EXPECT_EQ(created.token.scope, scope);
    EXPECT_EQ(tokens_.authenticate("Bearer " + created.secret).scope, scope);
  }
  ASSERT_EQ(tokens_.list().size(), 3u);
  EXPECT_EQ(tokens_.list()[0].scope, TokenScope::read);
  EXPECT_EQ(tokens_.list()[2].scope, TokenScope::admin);
}

TEST_F(TokensTest, TheDefaultScopeIsTrigger) {
  const auto created = tokens_.create("airflow", std::nullopt);
  EXPECT_EQ(tokens_.authenticate("Bearer " + created.secret).scope, TokenScope::trigger);
}

// The 403 of a route beyond the token's scope.
std::optional<UserError> refusal(TokenScope has, TokenScope needs) {
  store::Token token;
  token.scope = has;
  try {
    Tokens::require_scope(token, needs);
  } catch (const UserError& e) {
    return e;
  }
  return std::nullopt;
}

TEST(TokenScopes, EachScopeIncludesTheOnesBeforeIt) {
  EXPECT_FALSE(refusal(TokenScope::read, TokenScope::read));
  EXPECT_FALSE(refusal(TokenScope::trigger, TokenScope::read));
  EXPECT_FALSE(refusal(TokenScope::trigger, TokenScope::trigger));
  EXPECT_FALSE(refusal(TokenScope::admin, TokenScope::read));
  EXPECT_FALSE(refusal(TokenScope::admin, TokenScope::trigger));
  EXPECT_FALSE(refusal(TokenScope::admin, TokenScope::admin));
  EXPECT_TRUE(refusal(TokenScope::read, TokenScope::trigger));
  EXPECT_TRUE(refusal(TokenScope::read, TokenScope::admin));
  EXPECT_TRUE(refusal(TokenScope::trigger, TokenScope::admin));
}

TEST(TokenScopes, TheRefusalIs403NamingTheNeededScopeAndTheTokens) {
  const auto e = refusal(TokenScope::read, TokenScope::admin);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 403);
  EXPECT_EQ(e->code(), "forbidden");
  EXPECT_EQ(std::string(e->what()),
            "this route needs a token with scope 'admin'; this token's scope is 'read' "
            "(create one with dagctl token create --scope admin)");
}

TEST(TokenScopes, NamesParseBackAndNothingElseDoes) {
  for (const auto scope : {TokenScope::read, TokenScope::trigger, TokenScope::admin}) {
    EXPECT_EQ(store::parse_token_scope(to_string(scope)), scope);
  }
  for (const char* bad : {"", "Admin", "admin ", "write", "owner", "readx"}) {
    EXPECT_FALSE(store::parse_token_scope(bad)) << bad;
  }
}

// Schema 2 as shipped (organizations, projects, jobs, runs, tokens) with one token: what a
// user had before scopes existed.
constexpr const char* kSchemaV2WithToken = R"sql(
CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE projects (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL, path TEXT NOT NULL, profiles_dir TEXT NOT NULL DEFAULT '',
  target TEXT NOT NULL DEFAULT '', dbt TEXT NOT NULL DEFAULT '', env_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL, command TEXT NOT NULL, schedule TEXT, timezone TEXT, timeout_seconds INTEGER,
  enabled INTEGER NOT NULL DEFAULT 1, catchup INTEGER NOT NULL DEFAULT 1,
  webhook_enabled INTEGER NOT NULL DEFAULT 0, webhook_url TEXT,
  webhook_headers_json TEXT NOT NULL DEFAULT '{}', webhook_events_json TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (project_id, name));
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  job_name TEXT NOT NULL, status TEXT NOT NULL, triggered_by TEXT NOT NULL, command TEXT NOT NULL,
  command_override TEXT, retry_of TEXT, created_at INTEGER NOT NULL, start_time INTEGER,
  end_time INTEGER, exit_code INTEGER, error_message TEXT, results_json TEXT NOT NULL DEFAULT '{}',
  pid INTEGER NOT NULL DEFAULT 0, pid_start_ticks INTEGER NOT NULL DEFAULT 0);
CREATE INDEX runs_by_status ON runs(status, seq);
CREATE INDEX runs_by_job ON runs(job_id, seq);
CREATE INDEX runs_by_project ON runs(project_id, seq);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), name TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, expires_at INTEGER,
  last_used_at INTEGER, revoked_at INTEGER);
INSERT INTO organizations VALUES ('org-Ab12Cd34Ef56', 'default', 1775131200000);
INSERT INTO tokens VALUES ('tok_old', 'org-Ab12Cd34Ef56', 'airflow-prod',
  'b2f1c8c0a6f2d1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8', 1775131200000, NULL, NULL, NULL);
PRAGMA user_version=2;
)sql";

TEST(TokenScopesMigration, TokensMadeBeforeScopesBecomeAdmin) {
  TempDir dir;
  const std::string path = dir.file("dagctl.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(kSchemaV2WithToken);
  }
  store::Store upgraded(path);
  const auto tokens = upgraded.tokens().list();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].id, "tok_old");
  EXPECT_EQ(tokens[0].scope, TokenScope::admin);  // it could do everything before: it still can
  // New tokens in the upgraded file get what they ask for.
  Tokens made(upgraded, upgraded.projects().default_organization().id);
  EXPECT_EQ(made.create("reader", std::nullopt, TokenScope::read).token.scope, TokenScope::read);
  EXPECT_EQ(upgraded.tokens().list().back().scope, TokenScope::read);
}

TEST_F(TokensTest, AScopeThisVersionDoesNotKnowGrantsTheLeast) {
  const auto created = tokens_.create("edited", std::nullopt, TokenScope::admin);
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE tokens SET scope = 'superuser' WHERE id = '" + created.token.id + "'");
  }
  EXPECT_EQ(tokens_.authenticate("Bearer " + created.secret).scope, TokenScope::read);
}

}  // namespace
