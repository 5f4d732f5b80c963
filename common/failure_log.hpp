// Logs the first failure of a repeated task and its recovery, not every try in between: a
// lock held for an hour is two lines in the log, not thousands. common/ has no logger, so
// the lines go to a sink the caller gives (the daemon's is spdlog).
#pragma once

#include <fmt/format.h>

#include <exception>
#include <functional>
#include <string>
#include <utility>

namespace dagctl::common {

enum class LogLevel { info, warn };
using LogSink = std::function<void(LogLevel, const std::string& line)>;

class FailureLog {
public:
  FailureLog(std::string what, LogSink sink) : what_(std::move(what)), sink_(std::move(sink)) {}

  void failed(const std::exception& e) {
    if (failures_++ == 0 && sink_) {
      sink_(LogLevel::warn, fmt::format("{} failed: {}; trying again with back-off", what_, e.what()));
    }
  }
  void succeeded() {
    if (failures_ > 0 && sink_) {
      sink_(LogLevel::info, fmt::format("{} worked after {} failed attempt(s)", what_, failures_));
    }
    failures_ = 0;
  }
  int failures() const { return failures_; }

private:
  std::string what_;
  LogSink sink_;
  int failures_ = 0;
};

}  // namespace dagctl::common
