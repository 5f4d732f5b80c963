// What every command gets: where the daemon is and how to print.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/client.hpp"

namespace dagctl::cli {

struct Context {
  std::string socket;
  std::string output = "text";  // or "json"
  std::string color = "auto";   // --color: auto, always or never (docs/cli.md)
  int exit_code = 0;

  bool json() const { return output == "json"; }
  Client client() const { return Client(socket); }
};

// One JSON document on stdout (the -o json contract).
void print_json(const nlohmann::json& value);
// Left-aligned columns separated by two spaces; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);
// "-" for null, the string itself for strings, compact JSON otherwise.
std::string text_of(const nlohmann::json& value);
// 75.3 -> "1m15s"; null -> "-".
std::string format_duration(const nlohmann::json& seconds);

}  // namespace dagctl::cli
