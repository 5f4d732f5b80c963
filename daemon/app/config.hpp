// dagctld's settings: flags, each also from an environment variable (docs/daemon.md,
// man/dagctld.8).
#pragma once

#include <string>
#include <vector>

namespace dagctl::daemon::app {

// The TCP port used when --listen names none; documented in README and docs/api.md.
constexpr int kDefaultPort = 8780;

struct Config {
  std::string data_dir;
  std::string socket_path;
  std::string listen;  // "HOST:PORT" or "none"
  bool allow_remote = false;  // bind --listen to a non-loopback address
  std::string dbt = "dbt";
  int max_parallel = 0;
  std::string log_level = "info";
  int stop_grace_seconds = 10;
  std::string webhook_ca_file;  // extra CA (PEM) trusted for https webhooks, beside the system's
  int webhook_retries = 1;
  double webhook_retry_delay_seconds = 2.0;
  int webhook_timeout_seconds = 10;
  bool allow_webhook_link_local = false;  // webhooks to 169.254/16, fe80::/10 and cloud metadata
  int keep_days = 30;    // retention: finished runs older than this are pruned (0: no bound)
  int keep_runs = 1000;  // retention: runs kept per job, newest first (0: no bound)
  std::string sandbox = "auto";  // auto, on, off: run dbt under bubblewrap (docs/sandbox.md)
  std::vector<std::string> sandbox_writable;  // folders runs may write beside the project
  std::vector<std::string> pass_env;  // daemon variables passed to dbt beside the allowlist
};

struct ListenAddress {
  std::string host;  // without brackets for IPv6
  int port = 0;      // 0: any free port
};

// "127.0.0.1:8780", "[::1]:0", "localhost:8780". Throws with what to write instead.
ListenAddress parse_listen(const std::string& text);
bool is_loopback_host(const std::string& host);
// The address of config.listen (not "none"): parse_listen, and a non-loopback host only with
// --allow-remote (docs/security.md). Throws with what to pass instead.
ListenAddress listen_address(const Config& config);

// Parses argv and the environment. Bad usage (and --help, --version) ends the process:
// CLI11 prints the message and the exit code is 2 (0 for help and version). Throws
// std::runtime_error for values that cannot work.
Config parse_config(int argc, char** argv);

}  // namespace dagctl::daemon::app
