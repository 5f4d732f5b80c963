// Opens the SQLite file with the durability settings of CONTRACT §10 and migrates the
// schema forward. One connection, serialised by Store's mutex.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>

namespace dagctl::daemon::store {

std::unique_ptr<SQLite::Database> open_database(const std::string& path);
// The schema version this build writes; a newer file is refused rather than damaged.
int current_schema_version();

}  // namespace dagctl::daemon::store
