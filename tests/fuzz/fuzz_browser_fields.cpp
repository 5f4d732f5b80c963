// Fuzzes what a browser sends besides JSON (daemon/api/browser_fields.cpp) and the Host
// check (daemon/api/listener_names.cpp). The first byte picks what the rest is: 0 a Cookie
// header, 1 a form body, 2 a Host header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/api/browser_fields.hpp"
#include "daemon/api/listener_names.hpp"

namespace api = dagctl::daemon::api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      const auto values = api::cookie_values(text, "dagctl_session");
      if (values.size() > api::kMaxCookieValues) std::abort();
      for (const auto& v : values) {
        if (v.empty() || v.size() > text.size()) std::abort();  // never empty, never made up
        if (v.find(';') != std::string::npos) std::abort();      // one cookie's value only
      }
      break;
    }
    case 1: {
      const auto value = api::form_field(text, "token");
      if (value && value->size() > text.size()) std::abort();  // decoding only shrinks
      if (!api::form_readable(text) && text.find('%') == std::string_view::npos) std::abort();  // only an escape can be bad
      break;
    }
    default: {
      static const api::ListenerNames names("127.0.0.1:8780");
      if (names.allows_host(text) && text.size() > 20) std::abort();  // the longest is "localhost:8780"
      break;
    }
  }
  return 0;
}
