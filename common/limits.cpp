#include "common/limits.hpp"

#include <algorithm>
#include <cstdio>


namespace dagctl::common {

std::string quote(std::string_view value) {
  std::string out = "'";
  std::size_t used = 0;
  std::size_t i = 0;
  for (; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    const bool control = byte < 0x20 || byte == 0x7F;
    // A UTF-8 sequence is copied whole or not at all.
    std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    for (std::size_t k = 1; k < length; ++k) {
      if (i + k >= value.size() || (static_cast<unsigned char>(value[i + k]) & 0xC0) != 0x80) length = 1;
    }
    const std::size_t cost = control ? 4 : length;
    if (used + cost > limits::kQuoted) break;
    if (control) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", byte);
      out += buf;
    } else {
      out.append(value.substr(i, length));
      i += length - 1;
    }
    used += cost;
  }
  out += i < value.size() ? "'..." : "'";
  return out;
}

}  // namespace dagctl::common
