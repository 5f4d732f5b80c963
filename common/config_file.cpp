#include "common/config_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/limits.hpp"

namespace dagctl::common {

namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool is_key(std::string_view key) {
  if (key.empty() || key.size() > 64 || key.front() < 'a' || key.front() > 'z') return false;
  return key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

// Tab is the only control byte a line may hold: the others would hide what a value says.
bool has_control_byte(std::string_view s) {
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7F) return true;
  }
  return false;
}

Error at(int line, const std::string& message) { return make_error("line " + std::to_string(line) + ": " + message); }

}  // namespace

Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text) {
  if (text.size() > kMaxConfigFileBytes) {
    return make_error("larger than " + std::to_string(kMaxConfigFileBytes / 1024) + " KiB; is it the right file?");
  }
  std::vector<ConfigEntry> out;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a file edited on Windows
    if (has_control_byte(line)) return at(number, "a control character in " + quote(line));
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return at(number, quote(line) + " is not 'key = value' (keys are dagctld's long flags without --)");
    }
    const std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.starts_with("--")) {
      return at(number, "write the key without --: " + std::string(key.substr(2)) + " = ...");
    }
    if (!is_key(key)) {
      return at(number, quote(key) + " is not a key (lowercase letters, digits and -, as dagctld's long flags)");
    }
    const bool quoted = !value.empty() && (value.front() == '"' || value.front() == '\'');
    if (quoted && (value.size() < 2 || value.back() != value.front())) {
      return at(number, std::string(key) + ": the quote " + std::string(1, value.front()) +
                            " is never closed; end the value with it");
    }
    if (quoted) {
      value = value.substr(1, value.size() - 2);
    } else if (value.find(" #") != std::string_view::npos || value.find("\t#") != std::string_view::npos) {
      // Would a '#' start a comment or belong to the value? Neither guess is safe.
      return at(number, std::string(key) + ": a comment goes on its own line (or quote the value)");
    }
    if (value.empty()) return at(number, std::string(key) + " has no value");
    // dagctl reads these two itself; dagctld refuses every other key that cannot repeat.
    for (const auto& earlier : out) {
      if (earlier.key == key && (key == "data-dir" || key == "socket")) {
        return at(number, std::string(key) + " is already set on line " + std::to_string(earlier.line));
      }
    }
    // Paths the daemon and the CLI must agree on whatever their working directory; a shell
    // would expand ~, this file does not.
    if ((key == "data-dir" || key == "socket" || key == "webhook-ca-file") && value.front() != '/') {
      return at(number, std::string(key) + " must be an absolute path (from /; ~ is not expanded); got " +
                            quote(value));
    }
    out.push_back({std::string(key), std::string(value), number});
  }
  return out;
}

Result<std::vector<ConfigEntry>> read_config_file(const std::string& path, bool must_exist) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return make_error(path + ": not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT && !must_exist) return std::vector<ConfigEntry>{};
    return make_error(path + ": cannot read it: " + std::strerror(error));
  }
  std::string text(kMaxConfigFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto entries = parse_config_text(text);
  if (!entries) {
    const std::string& message = entries.error();
    // "line N: ..." becomes "PATH:N: ...", as compilers and editors point at a line.
    if (message.starts_with("line ")) return make_error(path + ":" + message.substr(5));
    return make_error(path + ": " + message);
  }
  return entries;
}

const ConfigEntry* find_entry(const std::vector<ConfigEntry>& entries, std::string_view key) {
  const ConfigEntry* found = nullptr;
  for (const auto& e : entries) {
    if (e.key == key) found = &e;
  }
  return found;
}

}  // namespace dagctl::common
