#include "daemon/api/route_pattern.hpp"

#include <algorithm>
#include <stdexcept>

namespace dagctl::daemon::api {

namespace {

// The segments of a path that starts with '/': "/a/b" -> {"a", "b"}, "/a/" -> {"a", ""}.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;
  for (;;) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool is_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

const std::string& PathParams::get(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (key == name) return value;
  }
  throw std::logic_error("the route has no path parameter {" + std::string(name) + "}");
}

RoutePattern::RoutePattern(std::string text) : text_(std::move(text)) {
  if (text_.empty() || text_.front() != '/') throw std::logic_error("route pattern must start with '/': " + text_);
  const auto segments = split(text_);
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto s = segments[i];
    if (s.find_first_of("{}") == std::string_view::npos) {
      parts_.push_back({Kind::literal, std::string(s)});
      continue;
    }
    if (s.size() < 2 || s.front() != '{' || s.back() != '}') {
      throw std::logic_error("a parameter must be a whole segment, '{name}': " + text_);
    }
    std::string_view name = s.substr(1, s.size() - 2);
    Kind kind = Kind::segment;
    if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
      if (i + 1 != segments.size()) throw std::logic_error("'{name...}' must be the last segment: " + text_);
      name.remove_suffix(3);
      kind = Kind::rest;
    }
    if (!is_name(name)) throw std::logic_error("a parameter's name is lower case letters, digits and '_': " + text_);
    for (const auto& p : parts_) {
      if (p.kind != Kind::literal && p.text == name) throw std::logic_error("parameter used twice: " + text_);
    }
    parts_.push_back({kind, std::string(name)});
  }
}

std::optional<PathParams> RoutePattern::match(std::string_view path) const {
  if (path.empty() || path.front() != '/') return std::nullopt;
  PathParams params;
  size_t pos = 1;  // where the current segment starts
  for (const auto& part : parts_) {
    if (pos > path.size()) return std::nullopt;  // the path ended before the pattern
    if (part.kind == Kind::rest) {
      if (pos == path.size()) return std::nullopt;  // the rest is never empty
      params.add(part.text, std::string(path.substr(pos)));
      pos = path.size() + 1;
      break;
    }
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(pos, end - pos);
    if (part.kind == Kind::segment) {
      if (segment.empty()) return std::nullopt;
      params.add(part.text, std::string(segment));
    } else if (segment != part.text) {
      return std::nullopt;
    }
    pos = end + 1;
  }
  if (pos != path.size() + 1) return std::nullopt;  // the path goes on after the pattern
  return params;
}

std::string RoutePattern::openapi_path() const {
  std::string out;
  for (const auto& part : parts_) out += "/" + (part.kind == Kind::literal ? part.text : "{" + part.text + "}");
  return out;
}

}  // namespace dagctl::daemon::api
