#include "cli/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cli/text_width.hpp"

namespace dagctl::cli {

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

int terminal_columns(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n < 10000) return static_cast<int>(n);
  }
  return 80;
}

bool use_colour(const std::string& choice, int fd) {
  if (choice == "always") return true;
  if (choice == "never") return false;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return is_terminal(fd);
}

void print_wrapped(std::FILE* out, const std::string& text) {
  const int fd = ::fileno(out);
  const int columns = is_terminal(fd) ? terminal_columns(fd) - 1 : 0;
  for (const auto& line : wrap_words(text, columns, "", "  ")) {
    std::fputs(line.c_str(), out);
    std::fputc('\n', out);
  }
  std::fflush(out);
}

}  // namespace dagctl::cli
