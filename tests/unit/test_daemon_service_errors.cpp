// Tests for daemon/service/errors.hpp: the one mapping from the store's failures to the
// API's answers.
#include "daemon/service/errors.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace {

using dagctl::daemon::service::from_store;
using dagctl::daemon::service::store_call;
using dagctl::daemon::service::UserError;
using dagctl::daemon::store::StoreBusy;
using dagctl::daemon::store::StoreError;

TEST(ServiceErrors, EachStoreErrorKindHasItsStatusAndCode) {
  const auto not_found = from_store(StoreError(StoreError::Kind::not_found, "no job with id j1"));
  EXPECT_EQ(not_found.http_status(), 404);
  EXPECT_EQ(not_found.code(), "not_found");
  EXPECT_STREQ(not_found.what(), "no job with id j1");
  const auto conflict = from_store(StoreError(StoreError::Kind::conflict, "a project named 'shop' exists already"));
  EXPECT_EQ(conflict.http_status(), 409);
  EXPECT_EQ(conflict.code(), "conflict");
  const auto full = from_store(StoreError(StoreError::Kind::queue_full, "the job has 100 runs queued already"));
  EXPECT_EQ(full.http_status(), 429);
  EXPECT_EQ(full.code(), "queue_full");
}

TEST(ServiceErrors, ALockedDatabaseIs503DatabaseLocked) {
  const auto busy = from_store(StoreBusy::sqlite_locked());
  EXPECT_EQ(busy.http_status(), 503);
  EXPECT_EQ(busy.code(), "database_locked");
  EXPECT_NE(std::string(busy.what()).find("locked by another process"), std::string::npos);
}

TEST(ServiceErrors, APostgreSQLStoresBusyAnswerSaysNothingOfSQLite) {
  const auto busy = from_store(StoreBusy::write_lock_held(std::chrono::milliseconds(5000)));
  EXPECT_EQ(busy.http_status(), 503);
  const std::string text = busy.what();
  EXPECT_NE(text.find("another daemon held the store's write lock for 5000 ms"), std::string::npos) << text;
  EXPECT_EQ(text.find("sqlite"), std::string::npos) << text;
  EXPECT_EQ(text.find("SQLite"), std::string::npos) << text;
}

TEST(ServiceErrors, StoreCallReturnsTheValueOrThrowsTheMappedUserError) {
  EXPECT_EQ(store_call([] { return 7; }), 7);
  try {
    store_call([]() -> int { throw StoreError(StoreError::Kind::conflict, "taken"); });
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.http_status(), 409);
    EXPECT_STREQ(e.what(), "taken");
  }
  try {
    store_call([] { throw StoreBusy::sqlite_locked(); });
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.code(), "database_locked");
  }
  // Anything else is not the caller's to fix: it passes unchanged (the API answers 500).
  EXPECT_THROW(store_call([] { throw std::runtime_error("disk I/O error"); }), std::runtime_error);
}

}  // namespace
