#include "common/command.hpp"

#include "common/dbt_command.hpp"
#include "common/sqlmesh_command.hpp"

namespace dagctl::common {

Result<std::vector<std::string>> validate_command(std::string_view project_type, std::string_view command,
                                                  std::string_view what, Trust trust) {
  if (project_type == "dbt") return validate_dbt_command(command, what, trust);
  if (project_type == "sqlmesh") return validate_sqlmesh_command(command, what, trust);
  return make_error(std::string(what) + ": the project type " +
                    command_text::quoted(project_type) + " has no command grammar; use dbt or sqlmesh");
}

std::string default_command(std::string_view project_type) {
  if (project_type == "dbt") return "dbt build";
  if (project_type == "sqlmesh") return "sqlmesh run";
  return "";
}

}  // namespace dagctl::common
