// --store (docs/scale-out.md#the-store): which URLs are taken, and that a password never shows.
#include <gtest/gtest.h>

#include "daemon/store/store_url.hpp"

namespace dagctl::daemon::store {
namespace {

TEST(StoreUrl, DefaultIsTheDataDirsSqliteFile) {
  const auto url = parse_store_url("", "/d/dagctl.db");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->kind, StoreUrl::Kind::sqlite);
  EXPECT_EQ(url->sqlite_path, "/d/dagctl.db");
}

TEST(StoreUrl, SqliteNeedsAnAbsoluteFile) {
  EXPECT_EQ(parse_store_url("sqlite:///srv/x.db", "")->sqlite_path, "/srv/x.db");
  EXPECT_FALSE(parse_store_url("sqlite://x.db", ""));
  EXPECT_FALSE(parse_store_url("sqlite://", ""));
  EXPECT_FALSE(parse_store_url("sqlite:///srv/", ""));
}

TEST(StoreUrl, PostgresKeepsTheConninfoAndShowsNoPassword) {
  const auto url = parse_store_url("postgresql://dagctl:s3cret@db:5432/dagctl?sslmode=require&password=p2", "");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->kind, StoreUrl::Kind::postgresql);
  EXPECT_EQ(url->conninfo, "postgresql://dagctl:s3cret@db:5432/dagctl?sslmode=require&password=p2");
  EXPECT_EQ(url->shown, "postgresql://dagctl:***@db:5432/dagctl?sslmode=require&password=***");
  EXPECT_EQ(parse_store_url("postgres://u@h/d", "")->shown, "postgres://u@h/d");
}

TEST(StoreUrl, ShowsNoPasswordWhoseNameIsPercentEncoded) {
  // libpq decodes the parameter's name too: pass%77ord is password.
  EXPECT_EQ(parse_store_url("postgresql://u@h/d?pass%77ord=s3cret&sslmode=require", "")->shown,
            "postgresql://u@h/d?pass%77ord=***&sslmode=require");
  EXPECT_EQ(parse_store_url("postgresql://u@h/d?a=1&%70%61ssword=s3cret", "")->shown,
            "postgresql://u@h/d?a=1&%70%61ssword=***");
  EXPECT_EQ(parse_store_url("postgresql://u@h/d?passwordx=1&pass%7=2", "")->shown,
            "postgresql://u@h/d?passwordx=1&pass%7=2");
}

TEST(StoreUrl, RefusesOtherSchemesWithoutQuotingTheirUserInfo) {
  const auto url = parse_store_url("mysql://root:hunter2@db/x", "");
  ASSERT_FALSE(url);
  EXPECT_NE(url.error().find("'mysql'"), std::string::npos);
  EXPECT_EQ(url.error().find("hunter2"), std::string::npos);
  const auto bare = parse_store_url("root:hunter2@db", "");
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().find("hunter2"), std::string::npos);
}

TEST(StoreUrl, RefusesControlCharactersAndHugeValues) {
  EXPECT_FALSE(parse_store_url(std::string("postgresql://h/d\0x", 19), ""));
  EXPECT_FALSE(parse_store_url("postgresql://h/d\n", ""));
  EXPECT_FALSE(parse_store_url("postgresql://h/" + std::string(5000, 'd'), ""));
}

}  // namespace
}  // namespace dagctl::daemon::store
