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

}  // namespace dagctl::daemon::store
