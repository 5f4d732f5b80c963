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

}  // namespace dagctl::daemon::store
