// RoutePattern: a route's path, matched segment by segment, and the named parameters it
// captures. No regex: libstdc++'s std::regex recurses once per character (32 KiB of stack
// for a trigger path, kept resident by every HTTP thread that ever matched one:
// docs/benchmarks.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dagctl::daemon::api {

// The parameters a matched path gave, by name: "/runs/{run_id}" on "/runs/r1" gives
// run_id = "r1".
class PathParams {
public:
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  // The value of `{name}`. A name the route's pattern does not have is a bug in its handler:
  // std::logic_error.
  const std::string& get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  bool operator==(const PathParams&) const = default;

private:
  std::vector<std::pair<std::string, std::string>> items_;
};

class RoutePattern {
public:
  // `text` starts with '/' and is '/'-separated. A segment "{name}" captures one non-empty
  // segment; a last segment "{name...}" captures the non-empty rest of the path, slashes
  // included. Any other segment matches literally. Names are lower case letters, digits
  // and '_', each used once; anything else throws std::logic_error.
  explicit RoutePattern(std::string text);

  // The parameters when `path` matches the whole pattern, nullopt when it does not.
  std::optional<PathParams> match(std::string_view path) const;
  const std::string& text() const { return text_; }
  // The path as OpenAPI writes it ("{path...}" becomes "{path}"): what GET /api/v1/routes
  // reports and docs/openapi.yaml is checked against.
  std::string openapi_path() const;

private:
  enum class Kind { literal, segment, rest };
  struct Part {
    Kind kind;
    std::string text;  // the literal, or the parameter's name
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace dagctl::daemon::api
