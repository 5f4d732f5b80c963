// What a browser sends besides JSON: cookies (RFC 6265's Cookie header) and HTML form
// bodies (application/x-www-form-urlencoded). Outside input: fuzzed
// (tests/fuzz/fuzz_browser_fields.cpp). httplib 0.11 parses neither.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dagctl::daemon::api {

// At most this many values of one cookie are looked at: a browser holds one per path and
// domain, and the rest is someone's flood.
constexpr std::size_t kMaxCookieValues = 4;

// The values of cookie `name` in a Cookie header ("a=1; b=2"), in order, without the
// quotes RFC 6265 allows around a value; empty values are skipped.
std::vector<std::string> cookie_values(std::string_view header, std::string_view name);

// Field `name` of a form body ("a=1&b=x%20y"), '+' and %XX decoded; the first one when it
// is repeated. nullopt when absent or when its escapes are malformed.
std::optional<std::string> form_field(std::string_view body, std::string_view name);

// Whether every name and value of a form body decodes (no malformed %XX): a form that does
// not is answered "could not be read", not treated as one without the field.
bool form_readable(std::string_view body);

}  // namespace dagctl::daemon::api
