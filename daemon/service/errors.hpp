// Errors, one rule for the whole daemon:
//  - Below the service, an expected failure is a value (std::optional, common::Result<T>)
//    or, from the store, StoreError / StoreBusy (daemon/store/errors.hpp).
//  - The service turns those into UserError, here and only here: from_store() (not_found
//    404, conflict 409, queue_full 429, StoreBusy 503 database_locked), or store_call()
//    around a store call.
//  - Exceptions cross only two boundaries, where they are caught and answered: HTTP
//    (daemon/api/router.cpp, the error JSON of docs/api.md) and the CLI (cli/app.cpp).
// UserError: a request the caller can fix, or retry. Carries the HTTP status and the
// snake_case code of docs/api.md's error model; the message says what is wrong and how to
// fix it.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "daemon/store/errors.hpp"

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

inline UserError from_store(const store::StoreError& e) {
  switch (e.kind()) {
    case store::StoreError::Kind::not_found: return not_found(e.what());
    case store::StoreError::Kind::queue_full: return UserError(429, "queue_full", e.what());
    case store::StoreError::Kind::conflict: break;
  }
  return conflict(e.what());
}
// Nothing about the request is wrong: the same one works once the other process's lock is gone.
inline UserError from_store(const store::StoreBusy& e) { return UserError(503, "database_locked", e.what()); }

// Calls `op` (store calls) and returns what it returns; a StoreError or StoreBusy leaves as UserError.
template <typename Op>
decltype(auto) store_call(Op&& op) {
  try {
    return std::forward<Op>(op)();
  } catch (const store::StoreError& e) {
    throw from_store(e);
  } catch (const store::StoreBusy& e) {
    throw from_store(e);
  }
}

}  // namespace dagctl::daemon::service
