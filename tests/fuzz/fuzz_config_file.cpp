// Fuzzes dagctld.conf's grammar (docs/daemon.md#the-config-file) with any bytes as a file:
// every refusal names a line, and every entry is a key and a value the grammar allows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/config_file.hpp"

namespace common = dagctl::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = common::parse_config_text(text);
  if (!parsed) {
    if (parsed.error().empty()) std::abort();  // every refusal says why
    if (size <= common::kMaxConfigFileBytes && !parsed.error().starts_with("line ")) std::abort();
    return 0;
  }
  int previous_line = 0;
  for (const auto& e : parsed.value()) {
    if (e.key.empty() || e.value.empty() || e.line <= previous_line) std::abort();
    if (e.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) std::abort();
    if (e.value.find('\n') != std::string::npos || e.value.find('\0') != std::string::npos) std::abort();
    previous_line = e.line;
  }
  return 0;
}
