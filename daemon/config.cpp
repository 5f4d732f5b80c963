#include "daemon/config.hpp"

#include <CLI/CLI.hpp>

#include <thread>

#include "common/paths.hpp"

namespace dagctl::daemon {

Config parse_config(int argc, char** argv) {
  Config c;
  CLI::App app("dagctld: runs dbt jobs for dagctl, its REST API and its schedules", "dagctld");
  app.set_version_flag("--version", DAGCTL_VERSION);
  app.add_option("--data-dir", c.data_dir, "Where the database and run folders live")
      ->envname("DAGCTL_DATA_DIR");
  app.add_option("--socket", c.socket_path, "The Unix socket the CLI talks to")->envname("DAGCTL_SOCKET");
  app.add_option("--listen", c.listen, "HOST:PORT for the REST API, or 'none'")->envname("DAGCTL_LISTEN");
  app.add_option("--dbt", c.dbt, "dbt executable for projects that name none")->envname("DAGCTL_DBT");
  app.add_option("--max-parallel", c.max_parallel, "Runs at once across all projects (default: CPUs)")
      ->envname("DAGCTL_MAX_PARALLEL")
      ->check(CLI::Range(1, 256));
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")
      ->envname("DAGCTL_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--stop-grace", c.stop_grace_seconds,
                 "Seconds between SIGINT, SIGTERM and SIGKILL when stopping a run")
      ->envname("DAGCTL_STOP_GRACE")
      ->check(CLI::Range(1, 3600));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (c.data_dir.empty()) c.data_dir = common::default_data_dir();
  if (c.socket_path.empty()) c.socket_path = common::default_socket_path();
  if (c.listen.empty()) c.listen = "127.0.0.1:" + std::to_string(kDefaultPort);
  if (c.max_parallel <= 0) c.max_parallel = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return c;
}

}  // namespace dagctl::daemon
