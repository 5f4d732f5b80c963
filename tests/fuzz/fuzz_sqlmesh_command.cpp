// Fuzzes the SQLMesh command grammar (common/sqlmesh_command.cpp, docs/commands.md#sqlmesh)
// with command texts as sent in command_override or a job's command, at both trust levels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlmesh_command.hpp"

namespace common = dagctl::common;

namespace {

void check_error(const std::string& error) {
  if (error.rfind("command_override: ", 0) != 0) std::abort();  // names the field
  if (error.size() > 512) std::abort();                          // echoes little of the input
  for (char c : error) {
    if (static_cast<unsigned char>(c) < 0x20) std::abort();  // one line, fit for JSON and logs
  }
}

void check_accepted(const std::vector<std::string>& words, common::Trust trust) {
  if (words.size() < 2 || words[0] != "sqlmesh") std::abort();
  // Shown and split again, an accepted command is the same words...
  const std::string joined = common::join_command_words(words);
  const auto again = common::split_command_words(joined);
  if (!again || *again != words) std::abort();
  // ... and is accepted again as the same words, unless the quoting that showing adds took
  // it over the length cap: then the one complaint is the length.
  const auto revalidated = common::validate_sqlmesh_command(joined, "command_override", trust);
  if (joined.size() > common::kMaxCommandBytes) {
    if (revalidated || revalidated.error().find("the limit is") == std::string::npos) std::abort();
    return;
  }
  if (!revalidated || *revalidated != words) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto token = common::validate_sqlmesh_command(text, "command_override", common::Trust::token);
  const auto owner = common::validate_sqlmesh_command(text, "command_override", common::Trust::owner);
  token ? check_accepted(*token, common::Trust::token) : check_error(token.error());
  owner ? check_accepted(*owner, common::Trust::owner) : check_error(owner.error());
  // The owner may do all a token holder may, with the same words.
  if (token && (!owner || *owner != *token)) std::abort();
  return 0;
}
