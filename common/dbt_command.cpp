#include "common/dbt_command.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace dagctl::common {
namespace {

// Subcommands a caller may run (CONTRACT §7). "source" and "docs" are further restricted to
// one action each, checked separately: "docs serve" would start a long-lived web server and
// the other "source" actions are not plain runs.
constexpr std::array<std::string_view, 16> kAllowedSubcommands = {
    "build", "run",    "test",  "seed",  "snapshot", "compile",       "ls",   "list",
    "parse", "deps",   "source", "docs", "retry",    "run-operation", "show", "clone"};

constexpr std::string_view kAllowedList =
    "build, run, test, seed, snapshot, compile, ls, list, parse, deps, source freshness, "
    "docs generate, retry, run-operation, show, clone";

// Flags that would let a caller point dbt at another project, other credentials, or write
// outside the run's folders; the project (not the caller) sets these.
constexpr std::array<std::string_view, 4> kForbiddenFlags = {"--project-dir", "--profiles-dir",
                                                             "--target-path", "--log-path"};

// Long enough to recognise a word in an error message, short enough that a 4 KiB word does
// not turn one sentence into a wall of text.
constexpr std::size_t kMaxQuotedBytes = 80;

bool is_allowed_subcommand(std::string_view word) {
  return std::find(kAllowedSubcommands.begin(), kAllowedSubcommands.end(), word) !=
         kAllowedSubcommands.end();
}

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

// Explains why a shell metacharacter is refused. Nothing here is ever given to a shell, so
// these characters would not do harm by themselves; they are refused because their presence
// means the caller expects shell behaviour (chaining, expansion, redirection, escaping) that
// will not happen, and because stored commands may be shown and copy-pasted into shells.
std::optional<std::string_view> metachar_reason(char c) {
  switch (c) {
    case ';':
    case '&':
    case '|':
      return "no shell runs here; pass one dbt command";
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
std::optional<std::string> find_forbidden_character(std::string_view s) {
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
      if (auto reason = metachar_reason(static_cast<char>(c)))
        return "the character '" + std::string(1, static_cast<char>(c)) + "' is not allowed (" +
               std::string(*reason) + ")";
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
    if (cp <= 0x9F) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
      return std::string("the control character ") + buf + at + " is not allowed; remove it";
    }
    i += len;
  }
  return std::nullopt;
}

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

Result<std::vector<std::string>> validate_dbt_command(std::string_view command,
                                                      std::string_view what) {
  const std::string prefix = std::string(what) + ": ";
  const auto fail = [&](const std::string& tail) { return make_error(prefix + tail); };

  // Size first: cheap, and the other checks need not look at oversized input.
  if (command.size() > kMaxDbtCommandBytes)
    return fail("is " + std::to_string(command.size()) + " bytes; the limit is " +
                std::to_string(kMaxDbtCommandBytes));
  // Before the character scan, so that "\t" or "\n" alone is reported as empty, which is
  // the more useful diagnosis.
  if (is_blank(command))
    return fail("is empty; pass a dbt command such as 'dbt build --select my_model+'");
  if (auto problem = find_forbidden_character(command)) return fail(*problem);

  auto split = split_command_words(command);
  if (!split) return fail(split.error());
  std::vector<std::string> words = std::move(split).value();

  if (words.empty() || words[0] != "dbt")
    return fail("must start with 'dbt'; got " + quoted(words.empty() ? "" : words[0]));

  // Forbidden flags anywhere (even as another flag's value: a false refusal is cheap, a
  // missed one is not), checked before word order so that the message names the real issue.
  for (std::size_t k = 1; k < words.size(); ++k) {
    const std::string name = normalized_flag_name(words[k]);
    if (std::find(kForbiddenFlags.begin(), kForbiddenFlags.end(), name) != kForbiddenFlags.end())
      return fail(quoted(words[k].substr(0, words[k].find('='))) +
                  " cannot be overridden; it is set by the project");
  }

  if (words.size() < 2)
    return fail("'dbt' has no subcommand; pass e.g. 'dbt build --select my_model+'");

  // Global flags before the subcommand are refused rather than parsed: telling which of them
  // take a value would mean tracking dbt's option table across versions. Moving them after
  // the subcommand works for every dbt flag we care about, so suggest exactly that.
  if (!words[1].empty() && words[1][0] == '-') {
    const auto sub = std::find_if(words.begin() + 2, words.end(),
                                  [](const std::string& w) { return is_allowed_subcommand(w); });
    std::string example;
    if (sub != words.end()) {
      std::vector<std::string> reordered{"dbt", *sub};
      reordered.insert(reordered.end(), words.begin() + 1, sub);
      reordered.insert(reordered.end(), sub + 1, words.end());
      example = join_command_words(reordered);
    } else {
      example = join_command_words({"dbt", "build", words[1]});
    }
    return fail(quoted(words[1]) +
                " comes before the subcommand; put the subcommand right after 'dbt', e.g. " +
                quoted(example));
  }

  const std::string& sub = words[1];
  if (!is_allowed_subcommand(sub))
    return fail(quoted("dbt " + sub) + " is not an allowed dbt subcommand; use one of " +
                std::string(kAllowedList));

  const auto require_action = [&](std::string_view action) -> std::optional<Error> {
    const std::string only = "the only allowed " + sub + " command is 'dbt " + sub + " " +
                             std::string(action) + "'";
    if (words.size() < 3)
      return fail(quoted("dbt " + sub) + " needs " + quoted(action) + "; " + only);
    if (words[2] != action)
      return fail(quoted("dbt " + sub + " " + words[2]) + " is not allowed; " + only);
    return std::nullopt;
  };
  if (sub == "source") {
    if (auto err = require_action("freshness")) return *err;
  } else if (sub == "docs") {
    if (auto err = require_action("generate")) return *err;
  }
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

}  // namespace dagctl::common
