// The SQLite engine of a Connection (docs/storage.md): SQLiteCpp on one file, WAL,
// synchronous=FULL, foreign keys on.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "daemon/store/connection.hpp"

namespace dagctl::daemon::store {

std::unique_ptr<ConnectionEngine> make_sqlite_engine(const std::string& path, std::chrono::milliseconds busy_wait);

}  // namespace dagctl::daemon::store
