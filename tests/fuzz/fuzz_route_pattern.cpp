// Fuzzes route matching (daemon/api/route_pattern.cpp) with request paths against every
// pattern shape the router registers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/route_pattern.hpp"

using dagctl::daemon::api::RoutePattern;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<RoutePattern> patterns = {
      RoutePattern("/api/v1/health"),
      RoutePattern("/api/v1/projects/([^/]+)"),
      RoutePattern("/api/v1/projects/([^/]+)/jobs/([^/]+)/trigger"),
      RoutePattern("/api/v1/runs/([^/]+)/artifacts/(.+)"),
  };
  const std::string_view path(reinterpret_cast<const char*>(data), size);
  for (const auto& p : patterns) {
    std::vector<std::string> params{"kept"};
    const bool matched = p.match(path, params);
    if (!matched && params.size() != 1) std::abort();  // params untouched on a miss
    if (matched) {
      for (std::size_t i = 1; i < params.size(); ++i) {
        if (params[i].empty()) std::abort();  // captures are never empty
        if (params[i].size() > path.size()) std::abort();
      }
    }
  }
  return 0;
}
