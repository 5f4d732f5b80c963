// dagctld's settings: flags, each also from an environment variable and from the config
// file, in that order of precedence (docs/daemon.md, man/dagctld.8).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dagctl::daemon::app {

// The TCP port used when --listen names none; documented in README and docs/api.md.
constexpr int kDefaultPort = 8780;

struct Config {
  std::string data_dir;
  std::string socket_path;
  std::string listen;  // "HOST:PORT" or "none"
  bool allow_remote = false;  // bind --listen to a non-loopback address
  std::string metrics_listen;  // "HOST:PORT" of the unauthenticated /metrics listener; empty: none
  std::string dbt = "dbt";
  std::string sqlmesh = "sqlmesh";  // SQLMesh projects' default executable (docs/sqlmesh.md)
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
  std::string warm = "on";  // on, off: runs in a per-project warm dbt worker (docs/runs.md#warm-workers)
  std::chrono::seconds warm_idle{300};  // a worker unused this long exits
  std::string openlineage_url;                  // empty: no OpenLineage events (docs/openlineage.md)
  std::string openlineage_namespace = "dagctl";  // the job namespace of those events
  std::string store;  // --store URL; empty: DATA_DIR/dagctl.db (docs/scale-out.md#the-store)

  std::string config_file;  // the config file read; empty when there was none
  // Every setting by its long flag's name ("max-parallel": 4), effective values, and where
  // each came from ("flag", "env", "config" or "default"): GET /api/v1/daemon shows both.
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json settings_from = nlohmann::json::object();
};

// The settings a later `dagctl daemon start` passes on (docs/daemon.md#remembered-settings):
// {"settings": {...}, "from": {...}} for those not from a default, without data-dir and
// socket (the settings file lives in the data dir, beside the socket).
nlohmann::json remembered_settings(const Config& config);

// Nothing to run: print `out` on stdout and `err` on stderr, then exit with `code`
// (0 for --help and --version; 2 for bad usage and a bad config file).
struct ConfigExit {
  int code = 0;
  std::string out;
  std::string err;
};

// The longest --warm-idle: a worker idle for a week is better started again.
constexpr std::chrono::seconds kMaxWarmIdle{7 * 24 * 3600};

// --warm-idle's DURATION: whole seconds ("300") or a number and a unit as in "90s", "5m",
// "2h", "1d"; from 1s to kMaxWarmIdle. nullopt for anything else.
std::optional<std::chrono::seconds> parse_warm_idle(const std::string& text);

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
// The address of config.metrics_listen (not empty): loopback only, whatever --allow-remote
// says, since it serves without a token (docs/metrics.md). Throws with what to pass instead.
ListenAddress metrics_listen_address(const Config& config);

// Parses argv, the environment and the config file (--config, DAGCTL_CONFIG, else
// common::config_file_path()). Bad usage, --help and --version give a ConfigExit. Throws
// std::runtime_error for values that cannot work (the caller exits 1).
std::variant<Config, ConfigExit> parse_config(int argc, char** argv);

}  // namespace dagctl::daemon::app
