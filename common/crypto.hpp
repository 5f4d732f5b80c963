// Hashes and comparisons for secrets (OpenSSL). Tokens are stored as SHA-256 only and
// compared in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dagctl::common {

std::string sha256_hex(std::string_view data);
std::string hex(std::string_view bytes);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string base64_encode(std::string_view bytes);
// Standard base64 with padding; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

// Equal length and bytes, in time that depends only on the length.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace dagctl::common
