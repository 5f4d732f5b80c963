// Reading a request's body, at most 1 MiB of it.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <optional>
#include <string>

namespace dagctl::daemon::api {

// The largest request body accepted; larger ones answer 413.
constexpr size_t kMaxBodyBytes = 1024 * 1024;

// The body `reader` delivers. No Content-Length and no chunking means no body (""). On a
// body over kMaxBodyBytes (413) or one that cannot be read (400), answers in `res` and
// returns nullopt.
std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader);

}  // namespace dagctl::daemon::api
