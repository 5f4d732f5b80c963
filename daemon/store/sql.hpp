// Small helpers the stores share to bind optional values and read nullable columns.
#pragma once


#include <optional>
#include <string>

#include "common/time.hpp"
#include "daemon/store/statement.hpp"

namespace dagctl::daemon::store::sql {

inline std::optional<std::string> opt_text(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
inline std::optional<common::TimePoint> opt_time(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return common::from_millis(c.getInt64());
}
inline std::optional<int> opt_int(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}
inline common::TimePoint time(const Column& c) { return common::from_millis(c.getInt64()); }

template <typename T>
void bind_opt(Statement& s, int index, const std::optional<T>& value) {
  if (value) {
    s.bind(index, *value);
  } else {
    s.bind(index);
  }
}
inline void bind_opt_time(Statement& s, int index, const std::optional<common::TimePoint>& value) {
  if (value) {
    s.bind(index, common::to_millis(*value));
  } else {
    s.bind(index);
  }
}


}  // namespace dagctl::daemon::store::sql
