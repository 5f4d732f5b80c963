// Where a webhook may go and what it may carry (docs/webhooks.md, "Which URLs and headers
// are accepted"): our own http(s) URL parser, address classes (link-local and cloud
// metadata need an opt-in; unspecified, multicast and reserved never), the daemon's own
// API refused, and the rules for custom header names and values. Pure functions except
// resolve(), which asks DNS. No std::regex: these run on request data of any length.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dagctl::daemon::webhooks {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 address without its brackets
  int port = 0;        // as written, or the scheme's default
  std::string target;  // path and query, at least "/"; a fragment is dropped
  bool ipv6() const { return host.find(':') != std::string::npos; }
  // The Host header's value: "[::1]:8080", "example.com" (the port only when not the default).
  std::string host_header() const;
};

enum class AddressClass {
  ordinary,         // public addresses and names
  loopback,         // 127.0.0.0/8, ::1, localhost
  private_network,  // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10
  link_local,       // 169.254.0.0/16, fe80::/10
  metadata,         // cloud metadata services: 169.254.169.254, fd00:ec2::254, 100.100.100.200, ...
  unspecified,      // 0.0.0.0/8, ::
  multicast,        // 224.0.0.0/4, ff00::/8
  reserved,         // 240.0.0.0/4 (with 255.255.255.255)
};
const char* describe(AddressClass c);

struct TargetPolicy {
  bool allow_link_local = false;  // dagctld --allow-webhook-link-local (also cloud metadata)
  std::string self_host;          // the daemon's own TCP listener; empty when it has none
  int self_port = 0;
};
// `http_address` is the daemon's listener as DaemonInfo has it ("127.0.0.1:8780", "[::1]:80", "").
TargetPolicy make_policy(bool allow_link_local, const std::string& http_address);

// Parses an absolute http(s) URL. `field` names it in the error ("webhook_url").
common::Result<Url> parse_url(std::string_view text, std::string_view field);
// parse_url plus every rule that needs no DNS: literal addresses by class, non-canonical
// numeric hosts, cloud metadata names, the daemon's own API.
common::Result<Url> check_url(std::string_view text, std::string_view field, const TargetPolicy& policy);

AddressClass classify_ipv4(std::uint32_t address);  // host byte order
AddressClass classify_ipv6(const std::array<std::uint8_t, 16>& address);
// A numeric address as text ("10.0.0.1", "fe80::1"); nullopt when `text` is not one.
std::optional<AddressClass> classify_address(std::string_view text);

// The addresses the URL's host stands for (numeric, e.g. "127.0.0.1", "::1"), looked up
// now. `error` is set when the host may not be contacted: `refused` when a rule forbids an
// address it resolves to (final), else the lookup failed (worth a retry).
struct Resolved {
  std::vector<std::string> addresses;
  std::string error;
  bool refused = false;
};
Resolved resolve(const Url& url, std::string_view field, const TargetPolicy& policy);

// Custom header rules; each returns the problem, or nullopt when the header is fine.
bool is_reserved_header(std::string_view name);  // any case
std::optional<std::string> check_header(std::string_view name, std::string_view value);
// A whole webhook_headers value: an object of at most 32 string values, names unique
// ignoring case, each header as check_header wants.
std::optional<std::string> check_headers(const nlohmann::json& headers);

}  // namespace dagctl::daemon::webhooks
