// Hashes and comparisons for secrets (OpenSSL). Tokens are stored as SHA-256 only and
// compared in constant time.
#pragma once

#include <string>
#include <string_view>

namespace dagctl::common {

std::string sha256_hex(std::string_view data);
std::string hex(std::string_view bytes);
// Equal length and bytes, in time that depends only on the length.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace dagctl::common
