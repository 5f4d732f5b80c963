// Fuzzes the webhook target checks (docs/webhooks.md, "Which URLs and headers are
// accepted"). The first byte picks what the rest is: 0 a webhook_url, 1 a header (the
// second byte is the name's length, the rest name then value), 2 a webhook_headers JSON
// object. Whatever is accepted must be safe to put on the wire; no DNS is asked.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/limits.hpp"
#include "daemon/webhooks/payload.hpp"
#include "daemon/webhooks/target.hpp"

namespace webhooks = dagctl::daemon::webhooks;

namespace {

bool wire_safe(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

void check_url(std::string_view text) {
  webhooks::TargetPolicy strict = webhooks::make_policy(false, "127.0.0.1:8780");
  webhooks::TargetPolicy opted = strict;
  opted.allow_link_local = true;
  (void)webhooks::airflow_api_of(std::string(text));
  (void)dagctl::common::quote(text);
  const auto parsed = webhooks::parse_url(text, "webhook_url");
  const auto checked = webhooks::check_url(text, "webhook_url", strict);
  const auto opted_in = webhooks::check_url(text, "webhook_url", opted);
  if (!parsed) {
    if (checked || opted_in || parsed.error().empty()) std::abort();
    return;
  }
  const auto& url = *parsed;
  if (url.scheme != "http" && url.scheme != "https") std::abort();
  if (url.host.empty() || url.port < 1 || url.port > 65535) std::abort();
  if (url.target.empty() || url.target.front() != '/') std::abort();
  if (!wire_safe(url.host) || !wire_safe(url.target) || !wire_safe(url.host_header())) std::abort();
  if (checked && !opted_in) std::abort();  // the opt-in only ever allows more
  if (checked) {
    const auto cls = webhooks::classify_address(url.host);
    if (cls && (*cls == webhooks::AddressClass::link_local || *cls == webhooks::AddressClass::metadata ||
                *cls == webhooks::AddressClass::unspecified || *cls == webhooks::AddressClass::multicast)) {
      std::abort();
    }
  }
}

void check_header(std::string_view name, std::string_view value) {
  if (webhooks::check_header(name, value)) return;
  if (name.empty() || !wire_safe(name) || name.find(':') != std::string_view::npos) std::abort();
  if (webhooks::is_reserved_header(name)) std::abort();
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: check_url(rest); break;
    case 1: {
      if (rest.empty()) return 0;
      const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(rest[0]), rest.size() - 1);
      check_header(rest.substr(1, n), rest.substr(1 + n));
      break;
    }
    default: {
      const auto headers = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
      if (headers.is_discarded()) return 0;
      if (!webhooks::check_headers(headers)) {
        for (const auto& [name, value] : headers.items()) check_header(name, value.get<std::string>());
      }
      break;
    }
  }
  return 0;
}
