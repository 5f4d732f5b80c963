// The stores' SQL, written once for SQLite, as PostgreSQL takes it (docs/scale-out.md#the-store).
// Pure; fuzzed. Outside quotes: `?` and `?N` become `$N`, `:name` becomes `$N` (one N per
// name, numbered as SQLite numbers them), and `json_each(X)` (a JSON array of values)
// becomes `json_array_elements_text(CAST(X AS json))`, whose column is `value` too.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace dagctl::daemon::store {

struct PostgresSql {
  std::string text;
  int parameters = 0;                      // the highest $N
  std::map<std::string, int, std::less<>> names;  // ":name" -> N
};

PostgresSql to_postgres(std::string_view sqlite_sql);

// `bytes` as PostgreSQL's text takes it: valid UTF-8 without NUL. Each NUL and each byte
// that is not part of a valid UTF-8 sequence becomes U+FFFD; valid text is unchanged.
// SQLite keeps any bytes; this keeps such a value from failing the statement: a lookup
// finds nothing (ids and names are checked when stored), a stored one stays readable.
std::string postgres_text(std::string_view bytes);

}  // namespace dagctl::daemon::store
