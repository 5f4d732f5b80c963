// The stores' SQL as PostgreSQL takes it (docs/scale-out.md#the-store).
#include <gtest/gtest.h>

#include "daemon/store/postgres_sql.hpp"

namespace dagctl::daemon::store {
namespace {

TEST(PostgresSql, PositionalParametersAreNumbered) {
  const auto sql = to_postgres("SELECT * FROM runs WHERE id = ? AND seq < ? LIMIT ?");
  EXPECT_EQ(sql.text, "SELECT * FROM runs WHERE id = $1 AND seq < $2 LIMIT $3");
  EXPECT_EQ(sql.parameters, 3);
}

TEST(PostgresSql, NumberedParametersKeepTheirNumber) {
  const auto sql = to_postgres("WHERE (?1 > 0 AND n > ?1) OR (?2 IS NOT NULL) LIMIT ?3");
  EXPECT_EQ(sql.text, "WHERE ($1 > 0 AND n > $1) OR ($2 IS NOT NULL) LIMIT $3");
  EXPECT_EQ(sql.parameters, 3);
}

TEST(PostgresSql, NamesGetOneNumberEach) {
  const auto sql = to_postgres("WHERE a = :job AND (b = :project OR :job IS NULL) AND c::text = 'x'");
  EXPECT_EQ(sql.text, "WHERE a = $1 AND (b = $2 OR $1 IS NULL) AND c::text = 'x'");
  EXPECT_EQ(sql.names.at(":job"), 1);
  EXPECT_EQ(sql.names.at(":project"), 2);
}

TEST(PostgresSql, QuotesAndCommentsAreLeftAlone) {
  const auto sql = to_postgres("SELECT 'a ? :b', \"c?\" -- d ? :e\nFROM t WHERE x = ?");
  EXPECT_EQ(sql.text, "SELECT 'a ? :b', \"c?\" -- d ? :e\nFROM t WHERE x = $1");
}

TEST(PostgresSql, JsonEachBecomesArrayElements) {
  const auto sql = to_postgres("WHERE id IN (SELECT value FROM json_each(?)) AND (f(x))");
  EXPECT_EQ(sql.text, "WHERE id IN (SELECT value FROM json_array_elements_text(CAST($1 AS json))) AND (f(x))");
}

}  // namespace
}  // namespace dagctl::daemon::store

namespace {

TEST(PostgresText, ValidTextIsUnchangedAndTheRestBecomesTheReplacementCharacter) {
  using dagctl::daemon::store::postgres_text;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(postgres_text("shop/default é 日本 🦆"), "shop/default é 日本 🦆");
  EXPECT_EQ(postgres_text(std::string("a\0b", 3)), "a" + fffd + "b") << "a NUL";
  EXPECT_EQ(postgres_text("\xFF"), fffd);
  EXPECT_EQ(postgres_text("\xC3"), fffd) << "a cut sequence";
  EXPECT_EQ(postgres_text("\xC0\xAF"), fffd + fffd) << "an overlong '/'";
  EXPECT_EQ(postgres_text("\xED\xA0\x80"), fffd + fffd + fffd) << "a UTF-16 surrogate";
  EXPECT_EQ(postgres_text("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "past U+10FFFF";
  EXPECT_EQ(postgres_text(""), "");
}

}  // namespace
