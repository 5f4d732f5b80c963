// Where the daemon keeps its state (docs/scale-out.md#the-store): `--store URL`. Pure, fuzzed.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dagctl::daemon::store {

struct StoreUrl {
  enum class Kind { sqlite, postgresql };
  Kind kind = Kind::sqlite;
  std::string sqlite_path;  // kind sqlite: an absolute file path
  std::string conninfo;     // kind postgresql: the URL as libpq takes it, password included
  std::string shown;        // for logs, answers and errors: any password replaced by "***"
};

// "" is the SQLite file `default_sqlite_path`; `sqlite:///abs/path.db` another SQLite file;
// `postgresql://...` or `postgres://...` a PostgreSQL database (libpq's URI; its password
// is better kept in ~/.pgpass or PGPASSFILE). Anything else is refused, with the reason.
common::Result<StoreUrl> parse_store_url(std::string_view text, const std::string& default_sqlite_path);

// `url` with the password of its user info and any `password=` parameter replaced by "***".
std::string redact_store_url(std::string_view url);

}  // namespace dagctl::daemon::store
