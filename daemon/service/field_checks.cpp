#include "daemon/service/field_checks.hpp"

#include <string>

#include "common/limits.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::service {

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
  bool ok = !name.empty() && name.size() <= common::limits::kName && alnum(name.front());
  for (std::size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    ok = alnum(c) || c == '_' || c == '.' || c == '-';
  }
  if (!ok) {
    const std::string size = name.size() > common::limits::kName ? " (" + std::to_string(name.size()) + " bytes)" : "";
    throw bad_request(std::string(what) + " " + common::quote(name) + size +
                      " is not valid: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
  }
}

}  // namespace dagctl::daemon::service
