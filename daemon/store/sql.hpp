// Small helpers the stores share to bind optional values and read nullable columns.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <optional>
#include <string>

#include "common/time.hpp"

namespace dagctl::daemon::store::sql {

inline std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
inline std::optional<common::TimePoint> opt_time(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return common::from_millis(c.getInt64());
}
inline std::optional<int> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}
inline common::TimePoint time(const SQLite::Column& c) { return common::from_millis(c.getInt64()); }

template <typename T>
void bind_opt(SQLite::Statement& s, int index, const std::optional<T>& value) {
  if (value) {
    s.bind(index, *value);
  } else {
    s.bind(index);
  }
}
inline void bind_opt_time(SQLite::Statement& s, int index, const std::optional<common::TimePoint>& value) {
  if (value) {
    s.bind(index, common::to_millis(*value));
  } else {
    s.bind(index);
  }
}

inline bool is_unique_violation(const SQLite::Exception& e) {
  return e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE ||
         e.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY;
}

}  // namespace dagctl::daemon::store::sql
