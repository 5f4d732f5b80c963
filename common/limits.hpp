// Caps on the strings the API accepts (docs/limits.md) and how error messages quote what a
// caller sent: never the whole value, so a 200 KB field answers a small 400.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/dbt_command.hpp"

namespace dagctl::common {

namespace limits {
inline constexpr std::size_t kName = 64;  // project and job names
inline constexpr std::size_t kCommand = common::kMaxDbtCommandBytes;
inline constexpr std::size_t kSchedule = 256;
inline constexpr std::size_t kTimezone = 64;
inline constexpr std::size_t kUrl = 2048;  // webhook_url, webhook_auth.token_url
inline constexpr std::size_t kHeaderName = 128;
inline constexpr std::size_t kHeaderValue = 4096;
inline constexpr std::size_t kHeaders = 32;  // custom headers per job
inline constexpr std::size_t kAuthUsername = 256;
inline constexpr std::size_t kAuthPassword = 1024;
inline constexpr std::size_t kPath = 4096;  // project path, profiles_dir, dbt
inline constexpr std::size_t kTarget = 128;  // a dbt target name
inline constexpr std::size_t kEnvName = 128;
inline constexpr std::size_t kEnvValue = 16384;
inline constexpr std::size_t kEnvVars = 64;
inline constexpr std::size_t kQuoted = 60;  // at most this much of a value in a message
}  // namespace limits

// `value` for an error message, in single quotes: at most limits::kQuoted bytes, cut on a
// UTF-8 boundary (then "..." follows), control bytes written as \xNN.
std::string quote(std::string_view value);

}  // namespace dagctl::common
