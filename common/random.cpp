#include "common/random.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace dagctl::common {

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("the system random number generator failed");
  }
  return out;
}

std::string uuid4() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  std::string hex;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", static_cast<unsigned char>(b[i]));
  }
  return hex;
}

std::string random_base62(std::size_t count) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(count);
  while (out.size() < count) {
    for (unsigned char c : random_bytes(count)) {
      // 248 = 4 * 62: dropping larger bytes keeps every character equally likely.
      if (c < 248 && out.size() < count) out += kAlphabet[c % 62];
    }
  }
  return out;
}

}  // namespace dagctl::common
