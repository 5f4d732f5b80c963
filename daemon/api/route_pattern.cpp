#include "daemon/api/route_pattern.hpp"

#include <stdexcept>

namespace dagctl::daemon::api {

namespace {

constexpr std::string_view kSegment = "([^/]+)";
constexpr std::string_view kRest = "(.+)";
constexpr std::string_view kPlaceholder = "\x01";

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

}  // namespace

RoutePattern::RoutePattern(std::string text) : text_(std::move(text)) {
  if (text_.empty() || text_.front() != '/') throw std::logic_error("route pattern must start with '/': " + text_);
  // "([^/]+)" holds a slash itself: stand a placeholder in for it before splitting.
  std::string plain;
  for (size_t i = 0; i < text_.size();) {
    if (std::string_view(text_).substr(i, kSegment.size()) == kSegment) {
      plain += kPlaceholder;
      i += kSegment.size();
    } else {
      plain += text_[i++];
    }
  }
  const auto segments = split(plain);
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto s = segments[i];
    if (s == kPlaceholder) {
      parts_.push_back({Kind::segment, {}});
    } else if (s == kRest) {
      if (i + 1 != segments.size()) throw std::logic_error("(.+) must be the last segment: " + text_);
      parts_.push_back({Kind::rest, {}});
    } else {
      parts_.push_back({Kind::literal, std::string(s)});
    }
  }
}

bool RoutePattern::match(std::string_view path, std::vector<std::string>& params) const {
  if (path.empty() || path.front() != '/') return false;
  std::vector<std::string> captured;
  size_t pos = 1;  // where the current segment starts
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (pos > path.size()) return false;  // the path ended before the pattern
    if (parts_[i].kind == Kind::rest) {
      if (pos == path.size()) return false;  // (.+) needs at least one character
      captured.emplace_back(path.substr(pos));
      pos = path.size() + 1;
      break;
    }
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(pos, end - pos);
    if (parts_[i].kind == Kind::segment) {
      if (segment.empty()) return false;
      captured.emplace_back(segment);
    } else if (segment != parts_[i].literal) {
      return false;
    }
    pos = end + 1;
  }
  if (pos != path.size() + 1) return false;  // the path goes on after the pattern
  for (auto& c : captured) params.push_back(std::move(c));
  return true;
}

}  // namespace dagctl::daemon::api
