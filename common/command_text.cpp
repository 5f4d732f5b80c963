#include "common/command_text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace dagctl::common {
namespace {

std::string hex_byte(unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", value & 0xFFu);
  return buf;
}

// Decodes one UTF-8 sequence starting at s[i]. Returns its length, or 0 if it is invalid
// (truncated, stray continuation byte, overlong form, UTF-16 surrogate, or > U+10FFFF):
// such bytes could decode differently in other tools, so they are refused, not repaired.
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::string code_point(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// Unicode characters that are not controls but would make a command look unlike what runs:
// line breaks for some tools, invisible characters, bidi controls that reorder the display,
// and spaces that look like the word separator but are part of a word.
std::optional<std::string> unicode_problem(char32_t cp, const std::string& at) {
  const std::string u = code_point(cp);
  if (cp == 0x2028 || cp == 0x2029)
    return std::string(cp == 0x2028 ? "the line separator " : "the paragraph separator ") + u + at +
           " is not allowed; pass the command on one line";
  if (cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
      cp == 0x205F || cp == 0x3000)
    return "the space-like character " + u + at +
           " is not allowed; separate words with plain spaces (U+0020)";
  if (cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
      (cp >= 0x2066 && cp <= 0x2069))
    return "the bidirectional control character " + u + at +
           " is not allowed (it makes the command display differently from what runs); remove it";
  if (cp == 0x00AD || cp == 0x180E || (cp >= 0x200B && cp <= 0x200D) ||
      (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
      (cp >= 0xE0000 && cp <= 0xE007F))
    return "the invisible character " + u + at + " is not allowed; remove it";
  return std::nullopt;
}

// Explains why a shell metacharacter is refused. Nothing here is ever given to a shell, so
// these characters would not do harm by themselves; they are refused because their presence
// means the caller expects shell behaviour (chaining, expansion, redirection, escaping) that
// will not happen, and because stored commands may be shown and copy-pasted into shells.
std::optional<std::string> metachar_reason(char c, std::string_view tool) {
  switch (c) {
    case ';':
    case '&':
    case '|':
      return "no shell runs here; pass one " + std::string(tool) + " command";
    case '`':
    case '$':
      return "no shell runs here, so nothing is expanded; write the value literally";
    case '>':
    case '<':
      return "no shell runs here, so there is no redirection";
    case '\\':
      return "quote with '...' or \"...\" instead of escaping";
    default:
      return std::nullopt;
  }
}

// Scans the raw text, before any splitting, so that quoting cannot hide a forbidden byte.
// Returns the message tail (after "<what>: ") for the first problem, if any.
// Tab is refused like any other control character rather than treated as a separator: it is
// invisible in most displays, and a command stored with one would not look like what runs.
std::optional<std::string> find_forbidden_character(std::string_view s, std::string_view tool) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::string at = " (at byte offset " + std::to_string(i) + ")";
    if (c < 0x80) {
      if (c == '\n') return "a newline" + at + " is not allowed; pass the command on one line";
      if (c == '\r')
        return "a carriage return" + at + " is not allowed; pass the command on one line";
      if (c == '\t') return "a tab" + at + " is not allowed; separate words with spaces";
      if (c == 0) return "a NUL byte" + at + " is not allowed; remove it";
      if (c < 0x20 || c == 0x7F)
        return "the control character " + hex_byte(c) + at + " is not allowed; remove it";
      if (auto reason = metachar_reason(static_cast<char>(c), tool))
        return "the character '" + std::string(1, static_cast<char>(c)) + "' is not allowed (" +
               *reason + ")";
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode_utf8(s, i, cp);
    if (len == 0)
      return "contains invalid UTF-8 at byte offset " + std::to_string(i) +
             "; send the command as UTF-8 text";
    // C1 controls (U+0080-U+009F) are control characters too (e.g. U+0085 is a line break
    // for some tools), so they get the same treatment as the ASCII ones.
    if (cp <= 0x9F) return "the control character " + code_point(cp) + at + " is not allowed; remove it";
    if (auto problem = unicode_problem(cp, at)) return problem;
    i += len;
  }
  return std::nullopt;
}

// Safe to show without quotes: none of these is special to our splitter or to a POSIX shell.
// Bytes >= 0x80 (non-ASCII UTF-8) are plain word characters for both.
bool is_plain_word_char(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-_./:=+,@%").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string quote_word(const std::string& w) {
  const bool plain =
      !w.empty() && std::all_of(w.begin(), w.end(), [](char ch) {
        return is_plain_word_char(static_cast<unsigned char>(ch));
      });
  if (plain) return w;
  if (w.find('\'') == std::string::npos) return "'" + w + "'";
  if (w.find('"') == std::string::npos) return "\"" + w + "\"";
  // Both quote kinds: alternate '...' runs and "'''" runs; adjacent parts join into one word.
  std::string out;
  std::size_t i = 0;
  while (i < w.size()) {
    const bool quote_run = w[i] == '\'';
    std::size_t j = i;
    while (j < w.size() && (w[j] == '\'') == quote_run) ++j;
    const char wrap = quote_run ? '"' : '\'';
    out += wrap;
    out.append(w, i, j - i);
    out += wrap;
    i = j;
  }
  return out;
}

}  // namespace

namespace command_text {

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence, so messages stay valid
// UTF-8 (they end up in JSON bodies).
std::string truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

// A part of the user's input, in single quotes, for an error message.
std::string quoted(std::string_view s) { return "'" + truncate_utf8(s, kMaxQuotedBytes) + "'"; }

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\n\r\v\f") == std::string_view::npos;
}

// Flag name as click would see it, made a little stricter: ASCII lower-case and '_' -> '-',
// so spelling variants of a forbidden flag are refused even if some dbt version accepts them.
std::string normalized_flag_name(std::string_view word) {
  std::string name(word.substr(0, word.find('=')));
  for (char& ch : name) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch == '_') ch = '-';
  }
  return name;
}

}  // namespace command_text

Result<std::vector<std::string>> split_command_words(std::string_view line) {
  std::vector<std::string> words;
  std::string current;
  // True once the current word has any part, so that '' alone still makes an (empty) word.
  bool in_word = false;
  for (std::size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(current));
      current.clear();
      in_word = false;
      ++i;
    } else if (c == '\'' || c == '"') {
      const std::size_t close = line.find(c, i + 1);
      if (close == std::string_view::npos)
        return make_error(std::string(c == '\'' ? "the single" : "the double") +
                          " quote at byte offset " + std::to_string(i) +
                          " is never closed; close it or remove it");
      current.append(line.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else {
      current.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(current));
  return words;
}

std::string join_command_words(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ' ';
    out += quote_word(words[i]);
  }
  return out;
}

Result<std::vector<std::string>> split_checked_command(std::string_view command, std::string_view what,
                                                       std::string_view tool, std::string_view example) {
  const std::string prefix = std::string(what) + ": ";
  const auto fail = [&](const std::string& tail) { return make_error(prefix + tail); };
  // Size first: cheap, and the other checks need not look at oversized input.
  if (command.size() > kMaxCommandBytes)
    return fail("is " + std::to_string(command.size()) + " bytes; the limit is " +
                std::to_string(kMaxCommandBytes));
  // Before the character scan, so that "\t" or "\n" alone is reported as empty, which is
  // the more useful diagnosis.
  if (command_text::is_blank(command))
    return fail("is empty; pass a " + std::string(tool) + " command such as " + std::string(example));
  if (auto problem = find_forbidden_character(command, tool)) return fail(*problem);
  auto split = split_command_words(command);
  if (!split) return fail(split.error());
  return split;
}

}  // namespace dagctl::common
