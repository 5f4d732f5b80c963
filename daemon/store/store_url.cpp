#include "daemon/store/store_url.hpp"


namespace dagctl::daemon::store {

namespace {

constexpr std::size_t kMaxUrl = 4096;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libpq decodes %XX in a parameter's name too: `pass%77ord=` is a password.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The URL as far as its scheme, for errors: never its user info.
std::string scheme_of(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon > 20) return "";
  return std::string(text.substr(0, colon));
}

}  // namespace

std::string redact_store_url(std::string_view url) {
  std::string out(url);
  // userinfo: scheme://user:password@host
  if (const auto scheme_end = out.find("://"); scheme_end != std::string::npos) {
    const auto authority = scheme_end + 3;
    const auto authority_end = out.find_first_of("/?#", authority);
    const auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
    if (at != std::string::npos && at >= authority) {
      const auto colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // query: ...?password=secret&...
  if (const auto query = out.find('?'); query != std::string::npos) {
    std::size_t pos = query + 1;
    while (pos < out.size()) {
      const auto amp = out.find('&', pos);
      const auto end = amp == std::string::npos ? out.size() : amp;
      const auto equals = out.find('=', pos);
      if (equals != std::string::npos && equals < end && equals + 1 < end &&
          percent_decoded(std::string_view(out).substr(pos, equals - pos)) == "password") {
        out.replace(equals + 1, end - equals - 1, "***");
      }
      pos = out.find('&', pos);
      if (pos == std::string::npos) break;
      ++pos;
    }
  }
  return out;
}

common::Result<StoreUrl> parse_store_url(std::string_view text, const std::string& default_sqlite_path) {
  StoreUrl url;
  if (text.empty()) {
    url.sqlite_path = default_sqlite_path;
    url.shown = "sqlite://" + default_sqlite_path;
    return url;
  }
  if (text.size() > kMaxUrl) {
    return common::make_error("--store is " + std::to_string(text.size()) + " bytes; at most " +
                              std::to_string(kMaxUrl));
  }
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return common::make_error("--store holds a control character; give a sqlite:/// or postgresql:// URL");
    }
  }
  if (starts_with(text, "sqlite://")) {
    const std::string_view path = text.substr(9);
    if (path.empty() || path.front() != '/') {
      return common::make_error("--store sqlite://" + std::string(path.substr(0, 200)) +
                                ": the path must be absolute (sqlite:///var/lib/dagctl/dagctl.db)");
    }
    if (path.back() == '/') return common::make_error("--store " + std::string(text.substr(0, 200)) + " names a folder, not a file");
    url.sqlite_path = std::string(path);
    url.shown = std::string(text);
    return url;
  }
  if (starts_with(text, "postgresql://") || starts_with(text, "postgres://")) {
    url.kind = StoreUrl::Kind::postgresql;
    url.conninfo = std::string(text);
    url.shown = redact_store_url(text);
    return url;
  }
  const std::string scheme = scheme_of(text);
  return common::make_error(
      (scheme.empty() ? std::string("--store has no scheme") : "--store scheme '" + scheme.substr(0, 20) + "' is not known") +
      ": give sqlite:///ABSOLUTE/PATH.db or postgresql://USER@HOST:PORT/DATABASE");
}

}  // namespace dagctl::daemon::store
