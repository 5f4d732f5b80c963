// Opens the SQLite file with its durability settings (WAL, synchronous=FULL, foreign keys;
// docs/architecture.md) and migrates the schema forward. connection.hpp holds the result.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>

namespace dagctl::daemon::store {

std::unique_ptr<SQLite::Database> open_database(const std::string& path);
// The schema version this build writes; a newer file is refused rather than damaged.
int current_schema_version();

}  // namespace dagctl::daemon::store
