// Fuzzes what a warm dbt worker may send dagctld (docs/runs.md#warm-workers): any bytes are
// refused with a reason or give a message whose fields are within their bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/runner/warm/message.hpp"

namespace warm = dagctl::daemon::runner::warm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = warm::parse_worker_message(bytes);
  if (!parsed) {
    if (parsed.error().empty()) std::abort();
    return 0;
  }
  const auto& m = parsed.value();
  if (m.reason.size() > warm::kMaxReasonBytes || m.run_id.size() > 64 || m.watch.size() > 512) std::abort();
  using Kind = warm::WorkerMessage::Kind;
  if ((m.kind == Kind::started || m.kind == Kind::refused || m.kind == Kind::exited) && m.run_id.empty()) std::abort();
  if (m.kind == Kind::exited) {
    if (!m.exit || m.exit->exit_code.has_value() == m.exit->signal.has_value()) std::abort();
    if (m.exit->exit_code && (*m.exit->exit_code < 0 || *m.exit->exit_code > 255)) std::abort();
    if (m.exit->signal && (*m.exit->signal < 1 || *m.exit->signal > 64)) std::abort();
  }
  for (const auto& f : m.watch) {
    if (f.empty() || f[0] != '/') std::abort();
  }
  return 0;
}
