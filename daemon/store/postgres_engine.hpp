// The PostgreSQL engine of a Connection (docs/scale-out.md#the-store): libpqxx on one
// connection, made again when it drops; the stores' SQL through to_postgres().
#pragma once

#include <chrono>
#include <memory>

#include "daemon/store/connection.hpp"
#include "daemon/store/store_url.hpp"

namespace dagctl::daemon::store {

// Connects and migrates the schema forward; throws std::runtime_error when it cannot
// (the daemon does not start).
std::unique_ptr<ConnectionEngine> make_postgres_engine(const StoreUrl& url, std::chrono::milliseconds busy_wait);

}  // namespace dagctl::daemon::store
