// RoutePattern: a route's path, matched segment by segment. The router used std::regex;
// libstdc++'s regex recurses once per character (32 KiB of stack for a trigger path, kept
// resident by every HTTP thread that ever matched one: docs/benchmarks.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dagctl::daemon::api {

class RoutePattern {
public:
  // `text` is '/'-separated; a segment "([^/]+)" captures one non-empty segment, and a last
  // segment "(.+)" captures the non-empty rest of the path, slashes included. Anything
  // else must match literally. (The texts are also what GET /api/v1/routes reports.)
  explicit RoutePattern(std::string text);

  // True when `path` matches the whole pattern; the captures are appended to `params`
  // (left as they were when it does not match).
  bool match(std::string_view path, std::vector<std::string>& params) const;
  const std::string& text() const { return text_; }

private:
  enum class Kind { literal, segment, rest };
  struct Part {
    Kind kind;
    std::string literal;
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace dagctl::daemon::api
