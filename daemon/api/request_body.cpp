#include "daemon/api/request_body.hpp"

#include <cstdint>
#include <exception>

#include "daemon/api/http_util.hpp"

namespace dagctl::daemon::api {

// We read the body ourselves instead of letting httplib do it: httplib 0.11 answers 400 to
// a POST without Content-Length (what `curl -X POST` sends when there is no -d), which the
// product page's basic trigger example does.
std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) {
  std::string body;
  const bool chunked = req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
  if (!chunked && !req.has_header("Content-Length")) return body;
  std::uint64_t declared = 0;
  try {
    declared = chunked ? 0 : std::stoull(req.get_header_value("Content-Length"));
  } catch (const std::exception&) {
    send_error(res, 400, "invalid_request", "Content-Length is not a number");
    return std::nullopt;
  }
  // httplib 0.11 reads a multipart body only into a multipart receiver, and throws (a 500)
  // when given a plain one: refuse it by name.
  if (req.is_multipart_form_data()) {
    res.set_header("Connection", "close");
    send_error(res, 415, "unsupported_media_type",
               "multipart/form-data bodies are not accepted; send JSON (POST /login: an "
               "application/x-www-form-urlencoded form)");
    return std::nullopt;
  }
  if (declared > kMaxBodyBytes) {
    res.set_header("Connection", "close");
    send_error(res, 413, "payload_too_large", "the body is over 1 MiB; send less");
    return std::nullopt;
  }
  bool too_large = false;
  const bool ok = reader([&](const char* data, size_t size) {
    if (body.size() + size > kMaxBodyBytes) {
      too_large = true;
      return false;
    }
    body.append(data, size);
    return true;
  });
  if (!ok) {
    res.set_header("Connection", "close");
    if (too_large) {
      send_error(res, 413, "payload_too_large", "the body is over 1 MiB; send less");
    } else {
      send_error(res, 400, "invalid_request", "the request body could not be read");
    }
    return std::nullopt;
  }
  return body;
}

}  // namespace dagctl::daemon::api
