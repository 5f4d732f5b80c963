#include "cli/text_width.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace dagctl::cli {

namespace {

// Decodes one UTF-8 character at `pos`; returns its code point and advances `pos`.
// Invalid bytes count as one character each (U+FFFD), so nothing loops or overreads.
char32_t next_code_point(std::string_view s, size_t& pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b = byte(pos);
  int extra = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
  if (extra < 0 || pos + static_cast<size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) {
    ++pos;
    return extra == 0 ? b : 0xFFFD;
  }
  char32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
  for (int i = 1; i <= extra; ++i) {
    const unsigned char c = byte(pos + static_cast<size_t>(i));
    if ((c >> 6) != 0x2) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  pos += static_cast<size_t>(extra) + 1;
  return cp;
}

bool in_ranges(char32_t cp, const auto& ranges) {
  return std::any_of(ranges.begin(), ranges.end(), [cp](const auto& r) { return cp >= r.first && cp <= r.second; });
}

// The common cases of Unicode's East Asian Width (W/F) and of zero-width characters;
// enough for node names and dbt's messages, without a locale.
int code_point_width(char32_t cp) {
  static constexpr std::array<std::pair<char32_t, char32_t>, 9> kZero = {{
      {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
      {0x200B, 0x200F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}}};
  static constexpr std::array<std::pair<char32_t, char32_t>, 13> kWide = {{
      {0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
      {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF60},
      {0xFFE0, 0xFFE6}, {0x1F300, 0x1FAFF}, {0x20000, 0x3FFFD}}};
  if (cp < 0x20 || cp == 0x7F) return 0;
  if (cp < 0x300) return 1;
  if (in_ranges(cp, kZero)) return 0;
  return in_ranges(cp, kWide) ? 2 : 1;
}

// Length of an ANSI CSI sequence ("\033[" ... final byte) at `pos`, else 0.
size_t escape_length(std::string_view s, size_t pos) {
  if (s[pos] != '\033' || pos + 1 >= s.size() || s[pos + 1] != '[') return 0;
  size_t i = pos + 2;
  while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7E)) ++i;
  return i < s.size() ? i - pos + 1 : s.size() - pos;
}

}  // namespace

int display_width(std::string_view text) {
  int width = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (const size_t esc = escape_length(text, pos)) {
      pos += esc;
      continue;
    }
    width += code_point_width(next_code_point(text, pos));
  }
  return width;
}

std::string fit_to_width(std::string_view text, int columns) {
  if (display_width(text) <= columns) return std::string(text);
  if (columns <= 0) return {};
  std::string out;
  bool coloured = false;
  int width = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (const size_t esc = escape_length(text, pos)) {
      out.append(text.substr(pos, esc));
      coloured = true;
      pos += esc;
      continue;
    }
    const size_t start = pos;
    const int w = code_point_width(next_code_point(text, pos));
    if (width + w > columns - 1) break;  // one column stays for the ellipsis
    out.append(text.substr(start, pos - start));
    width += w;
  }
  out += "…";
  if (coloured) out += "\033[0m";
  return out;
}

std::vector<std::string> wrap_words(std::string_view text, int columns, std::string_view first_indent,
                                    std::string_view indent) {
  std::vector<std::string> lines;
  std::string line(first_indent);
  if (columns <= 0) {
    lines.push_back(line.append(text));
    return lines;
  }
  int width = display_width(line);
  bool line_has_word = false;
  const int indent_width = display_width(indent);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t space = text.find(' ', pos);
    std::string_view word = text.substr(pos, space == std::string_view::npos ? std::string_view::npos : space - pos);
    pos = space == std::string_view::npos ? text.size() : space + 1;
    if (word.empty()) continue;
    int word_width = display_width(word);
    if (line_has_word && width + 1 + word_width > columns) {
      lines.push_back(line);
      line = std::string(indent);
      width = indent_width;
      line_has_word = false;
    }
    if (line_has_word) {
      line += ' ';
      ++width;
    }
    // A word wider than a whole line is cut into pieces that fill lines.
    while (width + word_width > columns && columns - width > 0) {
      size_t cut = 0;
      int cut_width = 0;
      for (size_t p = 0; p < word.size();) {
        const size_t before = p;
        const int w = code_point_width(next_code_point(word, p));
        if (cut_width + w > columns - width) {
          p = before;
          break;
        }
        cut_width += w;
        cut = p;
      }
      if (cut == 0) break;  // not even one character fits: give up cutting
      lines.push_back(line.append(word.substr(0, cut)));
      word.remove_prefix(cut);
      word_width -= cut_width;
      line = std::string(indent);
      width = indent_width;
    }
    line.append(word);
    width += word_width;
    line_has_word = true;
  }
  lines.push_back(line);
  return lines;
}

}  // namespace dagctl::cli
