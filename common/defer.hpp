// DEFER { ... }; runs the block when the scope ends, however it ends.
#pragma once

#include <utility>

namespace dagctl::common {

template <typename F>
class Deferred {
public:
  explicit Deferred(F f) : f_(std::move(f)) {}
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  ~Deferred() { f_(); }

private:
  F f_;
};

struct DeferHelper {
  template <typename F>
  Deferred<F> operator+(F f) { return Deferred<F>(std::move(f)); }
};

}  // namespace dagctl::common

#define DAGCTL_CONCAT_INNER(a, b) a##b
#define DAGCTL_CONCAT(a, b) DAGCTL_CONCAT_INNER(a, b)
#define DEFER auto DAGCTL_CONCAT(defer_, __LINE__) = ::dagctl::common::DeferHelper() + [&]()
