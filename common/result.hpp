// Result<T>: a value or an error message, for low-level code that must not throw
// (parsers, validators, syscalls wrappers). Boundaries turn errors into exceptions or
// HTTP answers (docs/architecture.md, Errors). A small stand-in for C++23 std::expected;
// Result<void> is success or an error.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace dagctl::common {

struct Error {
  std::string message;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

template <typename T>
class Result {
public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { check(); return std::get<0>(data_); }
  T& value() & { check(); return std::get<0>(data_); }
  T&& value() && { check(); return std::get<0>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const std::string& error() const { return std::get<1>(data_).message; }

private:
  void check() const {
    if (!ok()) throw std::logic_error("Result has no value: " + error());
  }
  std::variant<T, Error> data_;
};

template <>
class Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error.message)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return error_; }

private:
  std::string error_;
  bool ok_ = true;
};

}  // namespace dagctl::common
