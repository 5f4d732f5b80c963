#include "daemon/app/config.hpp"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>

#include <thread>

#include "common/paths.hpp"

namespace dagctl::daemon::app {

ListenAddress parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw std::runtime_error("--listen '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:" +
                             std::to_string(kDefaultPort) + ") or 'none'");
  }
  ListenAddress out;
  out.host = text.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    throw std::runtime_error("--listen port '" + port + "' is not a number from 0 to 65535");
  }
  out.port = std::stoi(port);
  return out;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // A name that merely starts with "127." (127.example.com) resolves anywhere.
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

ListenAddress listen_address(const Config& config) {
  ListenAddress address = parse_listen(config.listen);
  if (!is_loopback_host(address.host) && !config.allow_remote) {
    throw std::runtime_error("--listen " + config.listen +
                             " is not a loopback address; pass --allow-remote to expose the API "
                             "beyond this machine (every request still needs a token)");
  }
  return address;
}

Config parse_config(int argc, char** argv) {
  Config c;
  CLI::App app("dagctld: runs dbt jobs for dagctl, its REST API and its schedules", "dagctld");
  app.set_version_flag("--version", DAGCTL_VERSION);
  app.add_option("--data-dir", c.data_dir, "Where the database and run folders live")
      ->envname("DAGCTL_DATA_DIR");
  app.add_option("--socket", c.socket_path, "The Unix socket the CLI talks to")->envname("DAGCTL_SOCKET");
  app.add_option("--listen", c.listen, "HOST:PORT for the REST API, or 'none'")->envname("DAGCTL_LISTEN");
  app.add_flag("--allow-remote", c.allow_remote,
               "Allow --listen on a non-loopback address (anyone who can reach it needs a token)")
      ->envname("DAGCTL_ALLOW_REMOTE");
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
  app.add_option("--webhook-ca-file", c.webhook_ca_file,
                 "PEM file of an extra CA to trust for https webhooks (the system's stay trusted)")
      ->envname("DAGCTL_WEBHOOK_CA_FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--webhook-retries", c.webhook_retries,
                 "Retries of a webhook after a timeout, connection error, 5xx or 429")
      ->envname("DAGCTL_WEBHOOK_RETRIES")
      ->check(CLI::Range(0, 20));
  app.add_option("--webhook-retry-delay", c.webhook_retry_delay_seconds, "Seconds before a webhook retry")
      ->envname("DAGCTL_WEBHOOK_RETRY_DELAY")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--webhook-timeout", c.webhook_timeout_seconds, "Seconds a webhook receiver has to answer")
      ->envname("DAGCTL_WEBHOOK_TIMEOUT")
      ->check(CLI::Range(1, 300));
  app.add_flag("--allow-webhook-link-local", c.allow_webhook_link_local,
               "Allow webhook URLs on link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10)")
      ->envname("DAGCTL_ALLOW_WEBHOOK_LINK_LOCAL");
  app.add_option("--keep-days", c.keep_days,
                 "Prune finished runs (and their logs and artifacts) that ended more than this many days ago; 0 keeps them")
      ->envname("DAGCTL_KEEP_DAYS")
      ->check(CLI::Range(0, 36500));
  app.add_option("--keep-runs", c.keep_runs,
                 "Keep at most this many runs per job, newest first, pruning older finished ones; 0 for no limit")
      ->envname("DAGCTL_KEEP_RUNS")
      ->check(CLI::Range(0, 100000000));
  app.add_option("--sandbox", c.sandbox,
                 "Run dbt in a bubblewrap sandbox: auto (when bwrap works), on (refuse to start without), off")
      ->envname("DAGCTL_SANDBOX")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--sandbox-writable", c.sandbox_writable,
                 "A folder sandboxed runs may write beside the project (e.g. a DuckDB file's); repeatable")
      ->envname("DAGCTL_SANDBOX_WRITABLE")
      ->delimiter(':');
  app.add_option("--pass-env", c.pass_env,
                 "A variable of dagctld's environment that dbt gets too (it gets PATH, HOME, LANG... only); repeatable")
      ->envname("DAGCTL_PASS_ENV")
      ->delimiter(',');
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; bad usage exits 2, like the CLI.
    std::exit(app.exit(e) == 0 ? 0 : 2);
  }
  for (const auto& path : c.sandbox_writable) {
    if (path.empty() || path.front() != '/') {
      throw std::runtime_error("--sandbox-writable '" + path.substr(0, 200) + "' is not an absolute path");
    }
  }
  for (const auto& name : c.pass_env) {
    if (name.empty() || name.size() > 200 || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos ||
        (name.front() >= '0' && name.front() <= '9')) {
      throw std::runtime_error("--pass-env '" + name.substr(0, 200) + "' is not a variable name");
    }
    if (name == "DAGCTL_TOKEN" || name == "DAGCTL_WEBHOOK_AUTH_PASSWORD") {
      throw std::runtime_error("--pass-env " + name + ": dagctl's secrets never reach dbt");
    }
  }
  if (c.data_dir.empty()) {
    auto dir = common::default_data_dir();
    if (!dir) throw std::runtime_error(dir.error());
    c.data_dir = std::move(dir).value();
  }
  if (c.socket_path.empty()) c.socket_path = common::default_socket_path();
  if (c.listen.empty()) c.listen = "127.0.0.1:" + std::to_string(kDefaultPort);
  if (c.max_parallel <= 0) c.max_parallel = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return c;
}

}  // namespace dagctl::daemon::app
