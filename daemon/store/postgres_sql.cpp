#include "daemon/store/postgres_sql.hpp"

#include <cctype>
#include <vector>

namespace dagctl::daemon::store {

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

PostgresSql to_postgres(std::string_view in) {
  PostgresSql out;
  out.text.reserve(in.size() + 16);
  std::vector<bool> closes_json;  // per open parenthesis: does it close a json_each?
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted name: copied as it is
      const std::size_t end = in.find(c, i + 1);
      const std::size_t stop = end == std::string_view::npos ? in.size() : end + 1;
      out.text.append(in.substr(i, stop - i));
      i = stop;
      continue;
    }
    if (c == '-' && i + 1 < in.size() && in[i + 1] == '-') {  // a comment, to the line's end
      const std::size_t end = in.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? in.size() : end;
      out.text.append(in.substr(i, stop - i));
      i = stop;
      continue;
    }
    if (c == '?') {
      std::size_t j = i + 1;
      int number = 0;
      while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j])) && number < 100000) {
        number = number * 10 + (in[j] - '0');
        ++j;
      }
      if (j == i + 1) number = out.parameters + 1;
      if (number > out.parameters) out.parameters = number;
      out.text += '$' + std::to_string(number);
      i = j;
      continue;
    }
    if (c == ':' && i + 1 < in.size() && (std::isalpha(static_cast<unsigned char>(in[i + 1])) || in[i + 1] == '_') &&
        (i == 0 || in[i - 1] != ':')) {
      std::size_t j = i + 1;
      while (j < in.size() && word_char(in[j])) ++j;
      const std::string name(in.substr(i, j - i));
      auto it = out.names.find(name);
      if (it == out.names.end()) it = out.names.emplace(name, ++out.parameters).first;
      out.text += '$' + std::to_string(it->second);
      i = j;
      continue;
    }
    if (in.substr(i, 10) == "json_each(" && (i == 0 || !word_char(in[i - 1]))) {
      out.text += "json_array_elements_text(CAST(";
      closes_json.push_back(true);
      i += 10;
      continue;
    }
    if (c == '(') closes_json.push_back(false);
    if (c == ')' && !closes_json.empty()) {
      if (closes_json.back()) out.text += " AS json))";
      const bool was_json = closes_json.back();
      closes_json.pop_back();
      if (was_json) {
        ++i;
        continue;
      }
    }
    out.text += c;
    ++i;
  }
  return out;
}

std::string postgres_text(std::string_view bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(bytes.size());
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const auto continuation = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return i < bytes.size() && byte(i) >= low && byte(i) <= high;
  };
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned char c = byte(i);
    std::size_t length = 0;  // of a valid sequence starting at i; 0: none
    if (c >= 0x01 && c <= 0x7F) {
      length = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = continuation(i + 1) ? 2 : 0;
    } else if (c >= 0xE0 && c <= 0xEF) {
      // No overlong forms (E0 A0..), no UTF-16 surrogates (ED ..9F).
      const unsigned char low = c == 0xE0 ? 0xA0 : 0x80, high = c == 0xED ? 0x9F : 0xBF;
      length = continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0;
    } else if (c >= 0xF0 && c <= 0xF4) {
      // No overlong forms (F0 90..), nothing past U+10FFFF (F4 ..8F).
      const unsigned char low = c == 0xF0 ? 0x90 : 0x80, high = c == 0xF4 ? 0x8F : 0xBF;
      length = continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
    }
    if (length == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace dagctl::daemon::store
