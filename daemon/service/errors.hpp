// UserError: a request the caller can fix. Carries the HTTP status and the snake_case code
// of CONTRACT §5's error model; the message says what is wrong and how to fix it.
#pragma once

#include <stdexcept>
#include <string>

namespace dagctl::daemon::service {

class UserError : public std::runtime_error {
public:
  UserError(int http_status, std::string code, const std::string& message)
      : std::runtime_error(message), http_status_(http_status), code_(std::move(code)) {}
  int http_status() const { return http_status_; }
  const std::string& code() const { return code_; }

private:
  int http_status_;
  std::string code_;
};

inline UserError bad_request(const std::string& message) {
  return UserError(400, "invalid_request", message);
}
inline UserError not_found(const std::string& message) { return UserError(404, "not_found", message); }
inline UserError conflict(const std::string& message) { return UserError(409, "conflict", message); }

}  // namespace dagctl::daemon::service
