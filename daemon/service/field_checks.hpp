// Checks of one string field against its cap or the name rule (docs/limits.md): each
// throws UserError 400 that names the field and quotes a little of the value.
#pragma once

#include <cstddef>
#include <string_view>

namespace dagctl::daemon::service {

// 400 "field 'FIELD' is N bytes; the limit is CAP (docs/limits.md)" when value is longer.
void check_length(std::string_view field, std::string_view value, std::size_t cap);

// Project and job names: 1-64 ASCII letters, digits, '_', '.' or '-', starting with a letter
// or digit; 400 naming `what` otherwise.
void check_name(std::string_view what, std::string_view name);

}  // namespace dagctl::daemon::service
