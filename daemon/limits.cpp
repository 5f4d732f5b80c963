#include "daemon/limits.hpp"

#include <algorithm>
#include <cstdio>

#include "daemon/errors.hpp"

namespace dagctl::daemon {

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

void check_length(std::string_view field, std::string_view value, std::size_t cap) {
  if (value.size() > cap) {
    throw bad_request("field '" + std::string(field) + "' is " + std::to_string(value.size()) +
                      " bytes; the limit is " + std::to_string(cap) + " (docs/limits.md)");
  }
}

void check_name(std::string_view what, std::string_view name) {
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !name.empty() && name.size() <= limits::kName && alnum(name.front());
  for (std::size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    ok = alnum(c) || c == '_' || c == '.' || c == '-';
  }
  if (!ok) {
    const std::string size = name.size() > limits::kName ? " (" + std::to_string(name.size()) + " bytes)" : "";
    throw bad_request(std::string(what) + " " + quote(name) + size +
                      " is not valid: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
  }
}

}  // namespace dagctl::daemon
