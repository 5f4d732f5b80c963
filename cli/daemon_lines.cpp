#include "cli/daemon_lines.hpp"

#include <fmt/format.h>

#include <cmath>

namespace dagctl::cli {

std::vector<std::string> daemons_status_lines(const nlohmann::json& daemon) {
  std::vector<std::string> lines;
  const auto list = daemon.find("daemons");
  if (list == daemon.end() || !list->is_array() || list->size() < 2) return lines;
  lines.push_back(fmt::format("daemons:  {} share the database (lease {}s)", list->size(),
                              daemon.value("lease_seconds", 0)));
  for (const auto& d : *list) {
    if (!d.is_object()) continue;
    const double age = d.value("heartbeat_age_seconds", 0.0);
    std::string line = fmt::format("  {}  {}  pid {}  {}  heartbeat {}s ago  {} running", d.value("id", "?"),
                                   d.value("host", "?"), d.value("pid", 0), d.value("version", "?"),
                                   static_cast<long long>(std::floor(age)), d.value("running", 0));
    if (d.value("lost", false)) line += "  LOST";
    if (d.value("this", false)) line += "  (this daemon)";
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace dagctl::cli
