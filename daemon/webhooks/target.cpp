#include "daemon/webhooks/target.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/limits.hpp"

namespace dagctl::daemon::webhooks {

using common::make_error;

namespace {

constexpr const char* kOptIn = "dagctld refuses it unless started with --allow-webhook-link-local";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }
bool all_of(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

std::string byte_name(unsigned char c) {
  if (c == ' ') return "a space";
  if (c == '\r') return "a carriage return (CR)";
  if (c == '\n') return "a line feed (LF)";
  if (c == '\t') return "a tab";
  if (c == 0) return "a NUL byte";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  return buf;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t at; (at = s.find(sep, start)) != std::string_view::npos; start = at + 1) {
    out.push_back(s.substr(start, at - start));
  }
  out.push_back(s.substr(start));
  return out;
}

// The last label decides, as in browsers: "0x7f.1" or "1.2.3.4" is meant as a number.
bool looks_numeric(std::string_view host) {
  const auto labels = split(host, '.');
  std::string_view last = labels.back();
  if (last.empty() && labels.size() > 1) last = labels[labels.size() - 2];
  if (last.empty()) return false;
  if (all_of(last, is_digit)) return true;
  return last.size() >= 2 && last[0] == '0' && lower(last[1]) == 'x' && all_of(last.substr(2), is_hex);
}

// a.b.c.d, each 0-255 in decimal without leading zeros.
std::optional<std::uint32_t> dotted_decimal(std::string_view host) {
  const auto labels = split(host, '.');
  if (labels.size() != 4) return std::nullopt;
  std::uint32_t out = 0;
  for (auto label : labels) {
    if (label.empty() || label.size() > 3 || !all_of(label, is_digit) || (label.size() > 1 && label[0] == '0')) {
      return std::nullopt;
    }
    const int v = std::stoi(std::string(label));
    if (v > 255) return std::nullopt;
    out = (out << 8) | static_cast<std::uint32_t>(v);
  }
  return out;
}

std::string ipv4_text(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFF) + "." +
         std::to_string((address >> 8) & 0xFF) + "." + std::to_string(address & 0xFF);
}

std::string ipv6_text(const std::array<std::uint8_t, 16>& bytes) {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::array<std::uint8_t, 16> out{};
  if (::inet_pton(AF_INET6, std::string(text).c_str(), out.data()) != 1) return std::nullopt;
  return out;
}

bool in_v4(std::uint32_t a, std::uint32_t net, int bits) {
  return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits));
}

std::uint32_t v4_at(const std::array<std::uint8_t, 16>& b, int at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// True when `address` (canonical numeric text) belongs to an interface of this machine.
bool is_local_interface(const std::string& address) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, buf, sizeof buf);
    }
    found = address == buf;
  }
  ::freeifaddrs(list);
  return found;
}

bool targets_self(AddressClass cls, const std::string& address, int port, const TargetPolicy& policy) {
  if (policy.self_port == 0 || port != policy.self_port) return false;
  if (cls == AddressClass::loopback || cls == AddressClass::unspecified || address == policy.self_host) return true;
  const auto self = classify_address(policy.self_host);
  return self == AddressClass::unspecified && is_local_interface(address);
}

// The rules for one address (or a name standing for one); `shown` is how the message names it.
std::optional<std::string> check_class(AddressClass cls, const std::string& shown, const std::string& address,
                                       const Url& url, std::string_view field, const TargetPolicy& policy) {
  const std::string f(field);
  switch (cls) {
    case AddressClass::unspecified:
    case AddressClass::multicast:
    case AddressClass::reserved:
      return f + ": " + shown + " is " + describe(cls) + "; a webhook cannot go there";
    case AddressClass::link_local:
    case AddressClass::metadata:
      if (!policy.allow_link_local) return f + ": " + shown + " is " + describe(cls) + "; " + kOptIn;
      break;
    default: break;
  }
  if (targets_self(cls, address, url.port, policy)) {
    return f + ": " + shown + " port " + std::to_string(url.port) +
           " is dagctld's own API; a webhook cannot call the daemon itself";
  }
  return std::nullopt;
}

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);  // strchr finds the terminator for '\0'
}

}  // namespace

std::string Url::host_header() const {
  const std::string h = ipv6() ? "[" + host + "]" : host;
  const int default_port = scheme == "https" ? 443 : 80;
  return port == default_port ? h : h + ":" + std::to_string(port);
}

const char* describe(AddressClass c) {
  switch (c) {
    case AddressClass::ordinary: return "a public address";
    case AddressClass::loopback: return "a loopback address";
    case AddressClass::private_network: return "a private network address";
    case AddressClass::link_local: return "a link-local address (169.254.0.0/16, fe80::/10)";
    case AddressClass::metadata: return "a cloud metadata address";
    case AddressClass::unspecified: return "an unspecified address (0.0.0.0/8, ::)";
    case AddressClass::multicast: return "a multicast address";
    case AddressClass::reserved: return "a reserved or broadcast address (240.0.0.0/4)";
  }
  return "an address";
}

TargetPolicy make_policy(bool allow_link_local, const std::string& http_address) {
  TargetPolicy p;
  p.allow_link_local = allow_link_local;
  const auto colon = http_address.rfind(':');
  if (colon == std::string::npos) return p;
  std::string host = http_address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = http_address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !all_of(port, is_digit)) return p;
  if (const auto v6 = parse_ipv6(host)) host = ipv6_text(*v6);
  p.self_host = to_lower(host);
  p.self_port = std::stoi(port);
  return p;
}

common::Result<Url> parse_url(std::string_view text, std::string_view field) {
  const std::string f(field);
  const std::string example = "e.g. http://127.0.0.1:8080/api/v2/dags/downstream/dagRuns";
  if (text.empty()) return make_error(f + " is empty; give an http:// or https:// URL, " + example);
  if (text.size() > common::limits::kUrl) {
    return make_error(f + " is " + std::to_string(text.size()) + " bytes; the limit is " +
                      std::to_string(common::limits::kUrl) + " (docs/limits.md)");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7F || c == '\\') {
      return make_error(f + " holds " + (c == '\\' ? std::string("a backslash") : byte_name(c)) + " at byte " +
                        std::to_string(i) + "; a URL holds no spaces, control characters, backslashes or "
                        "non-ASCII characters (percent-encode them)");
    }
  }
  const auto sep = text.find("://");
  const std::string scheme = sep == std::string_view::npos ? "" : to_lower(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return make_error(f + " must start with http:// or https://; got " + common::quote(text) + ", " + example);
  }
  Url url;
  url.scheme = scheme;
  const std::string_view rest = text.substr(sep + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return make_error(f + " must not hold user:password@ before the host; use webhook_auth or a header");
  }
  if (authority.empty()) return make_error(f + " has no host, " + example);
  std::string_view port_text;
  bool has_port = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error(f + ": the IPv6 address has no closing ']'");
    const std::string_view inner = authority.substr(1, close - 1);
    if (inner.find('%') != std::string_view::npos) {
      return make_error(f + ": IPv6 zone ids (%...) are not accepted");
    }
    const auto v6 = parse_ipv6(inner);
    if (!v6) return make_error(f + ": " + common::quote(inner) + " in [...] is not an IPv6 address");
    url.host = ipv6_text(*v6);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error(f + ": only ':PORT' may follow the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
      if (port_text.find(':') != std::string_view::npos) {
        return make_error(f + ": the host holds ':'; write an IPv6 address in brackets, http://[::1]:8080/");
      }
    }
    if (host.empty()) return make_error(f + " has no host, " + example);
    if (host.size() > 253) return make_error(f + ": the host is " + std::to_string(host.size()) + " bytes; a host name has at most 253");
    for (char c : host) {
      if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '-' || c == '_' || c == '.')) {
        return make_error(f + ": the host " + common::quote(host) + " may hold only letters, digits, '-', '_' and '.' "
                          "(write other names in their xn-- form)");
      }
    }
    for (auto label : split(host, '.')) {
      if (label.empty() || label.size() > 63) {
        return make_error(f + ": the host " + common::quote(host) + " has an empty or over-long label (a leading, "
                          "trailing or double '.'?)");
      }
    }
    url.host = to_lower(host);
  }
  const int default_port = scheme == "https" ? 443 : 80;
  url.port = default_port;
  if (has_port && !port_text.empty()) {
    if (port_text.size() > 5 || !all_of(port_text, is_digit) || std::stoi(std::string(port_text)) < 1 ||
        std::stoi(std::string(port_text)) > 65535) {
      return make_error(f + ": the port " + common::quote(port_text) + " is not a number from 1 to 65535");
    }
    url.port = std::stoi(std::string(port_text));
  }
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  url.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  return url;
}

std::optional<AddressClass> classify_address(std::string_view text) {
  if (const auto v4 = dotted_decimal(text)) return classify_ipv4(*v4);
  if (const auto v6 = parse_ipv6(text)) return classify_ipv6(*v6);
  return std::nullopt;
}

common::Result<Url> check_url(std::string_view text, std::string_view field, const TargetPolicy& policy) {
  auto parsed = parse_url(text, field);
  if (!parsed) return parsed;
  Url url = std::move(parsed).value();
  const std::string f(field);
  AddressClass cls = AddressClass::ordinary;
  std::string address;  // numeric, when the host is one
  if (url.ipv6()) {
    cls = classify_ipv6(*parse_ipv6(url.host));
    address = url.host;
  } else if (looks_numeric(url.host)) {
    const auto v4 = dotted_decimal(url.host);
    if (!v4) {
      // inet_aton reads 0x7f000001, 2130706433, 0177.0.0.1 and 127.1 as 127.0.0.1; other
      // tools read them differently, so only one spelling is accepted.
      in_addr meant{};
      const std::string means = ::inet_aton(url.host.c_str(), &meant) != 0
                                    ? " (it means " + ipv4_text(ntohl(meant.s_addr)) + ")"
                                    : "";
      return make_error(f + ": the host " + common::quote(url.host) + " is a number written another way" + means +
                        "; write the address in dotted decimal (a.b.c.d)");
    }
    cls = classify_ipv4(*v4);
    address = url.host;
  } else if (url.host == "localhost" || (url.host.size() > 10 && url.host.ends_with(".localhost"))) {
    cls = AddressClass::loopback;
  } else if (url.host == "metadata.google.internal" || url.host == "metadata.goog") {
    cls = AddressClass::metadata;
  }
  if (auto error = check_class(cls, url.host, address, url, field, policy)) return make_error(*error);
  return url;
}

AddressClass classify_ipv4(std::uint32_t a) {
  if (in_v4(a, 0x00000000, 8)) return AddressClass::unspecified;
  if (in_v4(a, 0x7F000000, 8)) return AddressClass::loopback;
  if (a == 0xA9FEA9FE || a == 0x646464C8) return AddressClass::metadata;  // 169.254.169.254, 100.100.100.200
  if (in_v4(a, 0xA9FE0000, 16)) return AddressClass::link_local;
  if (in_v4(a, 0x0A000000, 8) || in_v4(a, 0xAC100000, 12) || in_v4(a, 0xC0A80000, 16) || in_v4(a, 0x64400000, 10)) {
    return AddressClass::private_network;
  }
  if (in_v4(a, 0xE0000000, 4)) return AddressClass::multicast;
  if (in_v4(a, 0xF0000000, 4)) return AddressClass::reserved;
  return AddressClass::ordinary;
}

AddressClass classify_ipv6(const std::array<std::uint8_t, 16>& b) {
  const auto zero = [&](int from, int to) {
    return std::all_of(b.begin() + from, b.begin() + to, [](std::uint8_t x) { return x == 0; });
  };
  if (zero(0, 16)) return AddressClass::unspecified;
  if (zero(0, 15) && b[15] == 1) return AddressClass::loopback;
  // IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::.
  if (zero(0, 10) && b[10] == 0xFF && b[11] == 0xFF) return classify_ipv4(v4_at(b, 12));
  if (zero(0, 12)) return classify_ipv4(v4_at(b, 12));
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && zero(4, 12)) return classify_ipv4(v4_at(b, 12));
  if (b[0] == 0x20 && b[1] == 0x02) return classify_ipv4(v4_at(b, 2));
  static constexpr std::array<std::uint8_t, 16> kAwsMetadata = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                                                0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (b == kAwsMetadata) return AddressClass::metadata;  // fd00:ec2::254
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressClass::link_local;  // fe80::/10
  if (b[0] == 0xFF) return AddressClass::multicast;
  if ((b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0)) return AddressClass::private_network;
  return AddressClass::ordinary;
}

Resolved resolve(const Url& url, std::string_view field, const TargetPolicy& policy) {
  Resolved out;
  std::vector<std::pair<std::string, AddressClass>> found;
  if (const auto cls = classify_address(url.host)) {
    found.emplace_back(url.host, *cls);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const int rc = ::getaddrinfo(url.host.c_str(), nullptr, &hints, &list);
    if (rc != 0) {
      out.error = std::string(field) + ": cannot resolve " + url.host + ": " + ::gai_strerror(rc);
      return out;
    }
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET) {
        const auto a = ntohl(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr);
        found.emplace_back(ipv4_text(a), classify_ipv4(a));
      } else if (ai->ai_family == AF_INET6) {
        std::array<std::uint8_t, 16> b{};
        std::memcpy(b.data(), &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
        found.emplace_back(ipv6_text(b), classify_ipv6(b));
      }
    }
    ::freeaddrinfo(list);
  }
  for (const auto& [address, cls] : found) {
    const std::string shown = address == url.host ? address : url.host + " (resolves to " + address + ")";
    if (auto error = check_class(cls, shown, address, url, field, policy)) {
      out.error = *error;
      out.refused = true;
      out.addresses.clear();
      return out;
    }
    if (std::find(out.addresses.begin(), out.addresses.end(), address) == out.addresses.end()) {
      out.addresses.push_back(address);
    }
  }
  if (out.addresses.empty()) out.error = std::string(field) + ": " + url.host + " has no IPv4 or IPv6 address";
  return out;
}

bool is_reserved_header(std::string_view name) {
  const std::string n = to_lower(name);
  static const std::array<std::string_view, 11> kExact = {
      "content-type", "content-length", "content-encoding", "transfer-encoding", "host", "connection",
      "keep-alive",   "te",             "trailer",          "upgrade",           "expect"};
  return std::find(kExact.begin(), kExact.end(), n) != kExact.end() || n.starts_with("proxy-") ||
         n.starts_with("x-dagctl-") || n.starts_with("webhook-");
}

std::optional<std::string> check_header(std::string_view name, std::string_view value) {
  if (name.empty()) return "a webhook header name is empty";
  if (name.size() > common::limits::kHeaderName) {
    return "a webhook header name is " + std::to_string(name.size()) + " bytes; the limit is " +
           std::to_string(common::limits::kHeaderName) + " (docs/limits.md)";
  }
  if (!std::all_of(name.begin(), name.end(), is_tchar)) {
    return "webhook header name " + common::quote(name) +
           " is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)";
  }
  if (is_reserved_header(name)) {
    return "webhook header " + common::quote(name) +
           " is reserved: dagctl sets it or it changes how the request is framed (reserved: Content-Type, "
           "Content-Length, Content-Encoding, Transfer-Encoding, Host, Connection, Keep-Alive, TE, Trailer, "
           "Upgrade, Expect, Proxy-*, X-Dagctl-*, webhook-*)";
  }
  if (value.size() > common::limits::kHeaderValue) {
    return "webhook header " + common::quote(name) + " has a value of " + std::to_string(value.size()) +
           " bytes; the limit is " + std::to_string(common::limits::kHeaderValue) + " (docs/limits.md)";
  }
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n' || c == 0) return "webhook header " + common::quote(name) + " has a line break or NUL in its value";
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      return "webhook header " + common::quote(name) + " has a control character (" + byte_name(c) + ") in its value";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_headers(const nlohmann::json& headers) {
  if (!headers.is_object()) return std::string("webhook_headers must be an object of header name to string value");
  if (headers.size() > common::limits::kHeaders) {
    return "webhook_headers has " + std::to_string(headers.size()) + " headers; the limit is " +
           std::to_string(common::limits::kHeaders) + " (docs/limits.md)";
  }
  std::vector<std::string> seen;
  for (const auto& [name, value] : headers.items()) {
    if (!value.is_string()) return "webhook header " + common::quote(name) + " must have a string value";
    if (auto error = check_header(name, value.get_ref<const std::string&>())) return error;
    const std::string key = to_lower(name);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return "webhook header " + common::quote(name) + " is given twice (header names ignore case)";
    }
    seen.push_back(key);
  }
  return std::nullopt;
}

}  // namespace dagctl::daemon::webhooks
