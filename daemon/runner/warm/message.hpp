// What a warm worker may say (docs/runs.md#warm-workers): one JSON object per packet. The
// worker runs the project's own code while it parses, so its messages are outside input:
// read by this pure function (fuzzed), with every field's type and size checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner::warm {

struct WorkerMessage {
  enum class Kind { hello, unusable, parsing, parsed, started, refused, exited };
  Kind kind = Kind::parsing;
  std::string run_id;          // started, refused, exited
  std::string reason;          // unusable, parsed (when not ok), refused; at most 500 bytes
  std::string dbt_version;     // hello
  std::vector<std::string> watch;  // hello: at most 512 absolute paths
  bool ok = false;             // parsed
  std::optional<ExitStatus> exit;  // exited: a code 0-255 or a signal 1-64
};

inline constexpr std::size_t kMaxReasonBytes = 500;

common::Result<WorkerMessage> parse_worker_message(std::string_view bytes);

}  // namespace dagctl::daemon::runner::warm
