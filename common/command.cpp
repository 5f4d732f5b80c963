#include "common/command.hpp"

#include "common/dbt_command.hpp"
#include "common/sqlmesh_command.hpp"

namespace dagctl::common {

Result<std::vector<std::string>> validate_command(std::string_view project_type, std::string_view command,
                                                  std::string_view what, Trust trust) {
  if (project_type == "dbt" || project_type == "sqlmesh") {
    auto words = project_type == "dbt" ? validate_dbt_command(command, what, trust)
                                       : validate_sqlmesh_command(command, what, trust);
    // The other tool's command: say which kind of project this is.
    const std::string_view other = project_type == "dbt" ? "sqlmesh" : "dbt";
    if (!words && command.substr(command.find_first_not_of(" \t") == std::string_view::npos
                                     ? command.size()
                                     : command.find_first_not_of(" \t"))
                          .starts_with(std::string(other) + " ")) {
      return make_error(std::string(what) + ": this is a " + (project_type == "dbt" ? "dbt" : "SQLMesh") +
                        " project: its commands start with '" + std::string(project_type) + "', not '" +
                        std::string(other) + "'");
    }
    return words;
  }
  return make_error(std::string(what) + ": the project type " +
                    command_text::quoted(project_type) + " has no command grammar; use dbt or sqlmesh");
}

std::string default_command(std::string_view project_type) {
  if (project_type == "dbt") return "dbt build";
  if (project_type == "sqlmesh") return "sqlmesh run";
  return "";
}

}  // namespace dagctl::common
