// dagctld.conf's grammar (docs/daemon.md#the-config-file): `key = value` lines, blank
// lines and `#` comment lines. A pure parser, shared by dagctld (every key) and dagctl
// (socket and data-dir), and fuzzed (tests/fuzz/fuzz_config_file.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dagctl::common {

inline constexpr std::size_t kMaxConfigFileBytes = 64 * 1024;

struct ConfigEntry {
  std::string key;    // a dagctld long flag without "--": "max-parallel"
  std::string value;  // trimmed, one level of matching quotes removed; never empty
  int line = 0;       // 1-based
};

// The entries in file order. Errors start with "line N: " and say what to write instead.
Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text);

// Reads and parses `path`. A missing file is no entries unless `must_exist`. Errors start
// with "PATH:N: " (or "PATH: " when the file cannot be read).
Result<std::vector<ConfigEntry>> read_config_file(const std::string& path, bool must_exist);

// The value of the last entry named `key`, or nullptr.
const ConfigEntry* find_entry(const std::vector<ConfigEntry>& entries, std::string_view key);

}  // namespace dagctl::common
