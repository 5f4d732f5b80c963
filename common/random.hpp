// Identifiers and secrets from the OS's CSPRNG (OpenSSL RAND_bytes).
#pragma once

#include <cstddef>
#include <string>

namespace dagctl::common {

std::string random_bytes(std::size_t count);
// RFC 4122 version 4 UUID, lower-case.
std::string uuid4();
// `count` characters of [0-9A-Za-z], uniformly distributed (rejection sampling).
std::string random_base62(std::size_t count);

}  // namespace dagctl::common
