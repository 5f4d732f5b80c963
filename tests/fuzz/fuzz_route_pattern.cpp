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
  struct Shape {
    RoutePattern pattern;
    std::vector<std::string> names;  // its parameters, in order
  };
  static const std::vector<Shape> shapes = {
      {RoutePattern("/api/v1/health"), {}},
      {RoutePattern("/api/v1/projects/{id}"), {"id"}},
      {RoutePattern("/api/v1/projects/{id}/jobs/{job_id}/trigger"), {"id", "job_id"}},
      {RoutePattern("/api/v1/runs/{run_id}/artifacts/{path...}"), {"run_id", "path"}},
  };
  const std::string_view path(reinterpret_cast<const char*>(data), size);
  for (const auto& shape : shapes) {
    const auto params = shape.pattern.match(path);
    if (!params) continue;
    const auto& items = params->items();
    if (items.size() != shape.names.size()) std::abort();  // every parameter, once
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].first != shape.names[i]) std::abort();
      if (items[i].second.empty()) std::abort();  // values are never empty
      if (items[i].second.size() > path.size()) std::abort();
      if (&params->get(shape.names[i]) != &items[i].second) std::abort();
    }
  }
  return 0;
}
