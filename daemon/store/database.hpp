// Opens the SQLite file with its durability settings (WAL, synchronous=FULL, foreign keys;
// docs/architecture.md) and migrates the schema forward. connection.hpp holds the result.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>
#include <string_view>

namespace dagctl::daemon::store {

std::unique_ptr<SQLite::Database> open_database(const std::string& path);
// The schema version this build writes; a newer file is refused rather than damaged.
int current_schema_version();
// The text that moves the schema from version `from` to `from + 1`; from version 13 on,
// both engines run it (docs/scale-out.md#the-store).
std::string_view migration(int from);

}  // namespace dagctl::daemon::store
