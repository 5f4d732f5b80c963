#include "daemon/app/config.hpp"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include "common/config_file.hpp"
#include "common/paths.hpp"
#include "common/data_dir.hpp"
#include "common/since.hpp"
#include "daemon/store/store_url.hpp"

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

ListenAddress metrics_listen_address(const Config& config) {
  ListenAddress address;
  try {
    address = parse_listen(config.metrics_listen);
  } catch (const std::runtime_error&) {
    throw std::runtime_error("--metrics-listen '" + config.metrics_listen.substr(0, 200) +
                             "' is not HOST:PORT (e.g. 127.0.0.1:9780)");
  }
  if (!is_loopback_host(address.host)) {
    throw std::runtime_error("--metrics-listen " + config.metrics_listen.substr(0, 200) +
                             " is not a loopback address: it serves /metrics without a token, so only 127.0.0.1, "
                             "::1 or localhost; to scrape from elsewhere, use --listen with a read token "
                             "(docs/metrics.md)");
  }
  return address;
}

std::optional<std::chrono::seconds> parse_warm_idle(const std::string& text) {
  std::optional<std::chrono::seconds> out;
  if (!text.empty() && text.size() <= 12 && text.find_first_not_of("0123456789") == std::string::npos) {
    out = std::chrono::seconds(std::stoll(text));
  } else {
    out = common::parse_age(text);
  }
  if (!out || *out < std::chrono::seconds(1) || *out > kMaxWarmIdle) return std::nullopt;
  return out;
}

namespace {

// Where the file's own names stop: these say which file and how to read the help.
bool is_reserved_key(const std::string& key) { return key == "help" || key == "version" || key == "config"; }

ConfigExit usage_error(const std::string& message) { return ConfigExit{2, "", "dagctld: error: " + message + "\n"}; }

// True when argv names --NAME (or --NAME=VALUE) before a "--".
bool given_on_command_line(int argc, char** argv, const std::string& name) {
  const std::string flag = "--" + name;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--") break;
    if (arg == flag || (arg.starts_with(flag) && arg.size() > flag.size() && arg[flag.size()] == '=')) return true;
  }
  return false;
}

// The config file's entries into the options that neither a flag nor a variable set,
// through the same conversions and checks as a flag (docs/daemon.md#the-config-file).
std::optional<ConfigExit> apply_config_file(CLI::App& app, const std::vector<common::ConfigEntry>& entries,
                                            const std::string& path, std::set<std::string>& from_file) {
  const auto at = [&path](const common::ConfigEntry& e, const std::string& message) {
    return usage_error(path + ":" + std::to_string(e.line) + ": " + message);
  };
  std::map<std::string, const common::ConfigEntry*> first;
  for (const auto& e : entries) {
    CLI::Option* opt = is_reserved_key(e.key) ? nullptr : app.get_option_no_throw("--" + e.key);
    if (!opt) {
      return at(e, "unknown key '" + e.key + "'; the keys are dagctld's long flags without -- (dagctld --help)");
    }
    const auto [seen, fresh] = first.emplace(e.key, &e);
    if (!fresh && opt->get_items_expected_max() <= 1) {
      return at(e, e.key + " is already set on line " + std::to_string(seen->second->line));
    }
  }
  for (const auto& [key, entry] : first) {
    CLI::Option* opt = app.get_option_no_throw("--" + key);
    if (opt->count() > 0) continue;  // a flag or a variable wins
    for (const auto& e : entries) {
      if (e.key == key) opt->add_result(e.value);
    }
    try {
      opt->run_callback();
    } catch (const CLI::Error& error) {
      return at(*entry, error.what());
    }
    from_file.insert(key);
  }
  return std::nullopt;
}

nlohmann::json path_or_null(const std::string& path) { return path.empty() ? nlohmann::json(nullptr) : nlohmann::json(path); }

// Every setting's effective value, by its flag's name; checked against the flags below.
nlohmann::json setting_values(const Config& c) {
  return {{"data-dir", c.data_dir},
          {"socket", c.socket_path},
          {"listen", c.listen},
          {"allow-remote", c.allow_remote},
          {"metrics-listen", c.metrics_listen.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.metrics_listen)},
          {"dbt", c.dbt},
          {"sqlmesh", c.sqlmesh},
          {"max-parallel", c.max_parallel},
          {"log-level", c.log_level},
          {"stop-grace", c.stop_grace_seconds},
          {"webhook-ca-file", path_or_null(c.webhook_ca_file)},
          {"webhook-retries", c.webhook_retries},
          {"webhook-retry-delay", c.webhook_retry_delay_seconds},
          {"webhook-timeout", c.webhook_timeout_seconds},
          {"allow-webhook-link-local", c.allow_webhook_link_local},
          {"keep-days", c.keep_days},
          {"keep-runs", c.keep_runs},
          {"sandbox", c.sandbox},
          {"sandbox-writable", c.sandbox_writable},
          {"pass-env", c.pass_env},
          {"warm", c.warm},
          {"warm-idle", c.warm_idle.count()},
          {"openlineage-url", c.openlineage_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.openlineage_url)},
          {"openlineage-namespace", c.openlineage_namespace},
          // Shown without its password: GET /api/v1/daemon answers settings to read tokens.
          {"store", c.store.empty() ? nlohmann::json(nullptr) : nlohmann::json(store::redact_store_url(c.store))}};
}

}  // namespace

nlohmann::json remembered_settings(const Config& config) {
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json from = nlohmann::json::object();
  for (const auto& [name, source] : config.settings_from.items()) {
    if (source == "default" || name == "data-dir" || name == "socket") continue;
    // A store URL with a password is shown redacted: remembering that would lose the store.
    if (name == "store" && store::redact_store_url(config.store) != config.store) continue;
    settings[name] = config.settings.at(name);
    from[name] = source;
  }
  return {{"settings", settings}, {"from", from}};
}

std::variant<Config, ConfigExit> parse_config(int argc, char** argv) {
  Config c;
  std::string config_flag;
  CLI::App app("dagctld: runs dbt jobs for dagctl, its REST API and its schedules", "dagctld");
  app.set_version_flag("--version", DAGCTL_VERSION);
  app.add_option("--data-dir", c.data_dir, "Where the database and run folders live")
      ->envname("DAGCTL_DATA_DIR");
  app.add_option("--socket", c.socket_path, "The Unix socket the CLI talks to")->envname("DAGCTL_SOCKET");
  app.add_option("--listen", c.listen, "HOST:PORT for the REST API, or 'none'")->envname("DAGCTL_LISTEN");
  app.add_flag("--allow-remote", c.allow_remote,
               "Allow --listen on a non-loopback address (anyone who can reach it needs a token)")
      ->envname("DAGCTL_ALLOW_REMOTE");
  app.add_option("--metrics-listen", c.metrics_listen,
                 "HOST:PORT (loopback only) serving GET /metrics without a token, for Prometheus; 'none' for no such listener")
      ->envname("DAGCTL_METRICS_LISTEN");
  app.add_option("--dbt", c.dbt, "dbt executable for projects that name none")->envname("DAGCTL_DBT");
  app.add_option("--sqlmesh", c.sqlmesh, "sqlmesh executable for SQLMesh projects that name none")
      ->envname("DAGCTL_SQLMESH");
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
  app.add_option("--warm", c.warm,
                 "on or off: run dbt in a warm worker per project that keeps dbt imported and the project parsed")
      ->envname("DAGCTL_WARM")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option_function<std::string>(
         "--warm-idle", [&c](const std::string& text) { c.warm_idle = *parse_warm_idle(text); },
         "How long a warm worker waits unused before it exits: seconds, or e.g. 90s, 5m, 2h (default 5m)")
      ->envname("DAGCTL_WARM_IDLE")
      ->type_name("DURATION")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            if (parse_warm_idle(text)) return "";
            return "'" + text.substr(0, 40) + "' is not a duration from 1s to 7d (seconds, or e.g. 90s, 5m, 2h)";
          },
          ""));
  app.add_option("--openlineage-url", c.openlineage_url,
                 "Send OpenLineage events of every run to this URL (a base URL posts to /api/v1/lineage); projects may override")
      ->envname("DAGCTL_OPENLINEAGE_URL");
  app.add_option("--openlineage-namespace", c.openlineage_namespace,
                 "The OpenLineage job namespace of dagctl's events (default: dagctl)")
      ->envname("DAGCTL_OPENLINEAGE_NAMESPACE")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return text.empty() || text.size() > 200 ? "the namespace must be 1 to 200 characters" : "";
          },
          ""));
  app.add_option("--store", c.store,
                 "Where the state lives: sqlite:///PATH.db, or postgresql://USER@HOST/DB for several daemons as one (default: DATA_DIR/dagctl.db)")
      ->envname("DAGCTL_STORE");
  app.add_option("--config", config_flag,
                 "Config file of 'key = value' lines, keys as these flags (default: ~/.config/dagctl/dagctld.conf)")
      ->envname("DAGCTL_CONFIG");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; bad usage exits 2, like the CLI.
    std::ostringstream out, err;
    const int code = app.exit(e, out, err);
    return ConfigExit{code == 0 ? 0 : 2, out.str(), err.str()};
  }
  std::set<std::string> from_file;
  const std::string config_path = config_flag.empty() ? common::config_file_path() : config_flag;
  if (!config_path.empty()) {
    // A file named by --config or DAGCTL_CONFIG must exist; the default one need not.
    const auto entries = common::read_config_file(config_path, !config_flag.empty());
    if (!entries) return usage_error(entries.error());
    if (auto exit = apply_config_file(app, *entries, config_path, from_file)) return *exit;
    std::error_code ec;
    if (std::filesystem::exists(config_path, ec)) c.config_file = config_path;
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
    if (name == "DAGCTL_TOKEN" || name == "DAGCTL_WEBHOOK_AUTH_PASSWORD" || name == "DAGCTL_OPENLINEAGE_API_KEY") {
      throw std::runtime_error("--pass-env " + name + ": dagctl's secrets never reach dbt");
    }
  }
  if (c.data_dir.empty()) {
    auto dir = common::default_data_dir();
    if (!dir) throw std::runtime_error(dir.error());
    c.data_dir = std::move(dir).value();
  }
  if (c.socket_path.empty()) c.socket_path = common::socket_in(c.data_dir);
  if (const auto url = store::parse_store_url(c.store, common::DataDir(c.data_dir).database()); !url) {
    return usage_error(url.error());
  }
  if (const auto fits = common::check_socket_path(c.socket_path); !fits) throw std::runtime_error(fits.error());
  if (c.listen.empty()) c.listen = "127.0.0.1:" + std::to_string(kDefaultPort);
  if (c.metrics_listen == "none") c.metrics_listen.clear();
  if (!c.metrics_listen.empty()) metrics_listen_address(c);  // refused here, before anything starts
  if (c.max_parallel <= 0) c.max_parallel = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  c.settings = setting_values(c);
  for (const CLI::Option* opt : app.get_options()) {
    const auto& names = opt->get_lnames();
    if (names.empty() || is_reserved_key(names.front())) continue;
    const std::string& name = names.front();
    if (!c.settings.contains(name)) throw std::logic_error("setting_values() lacks --" + name);
    c.settings_from[name] = from_file.count(name) ? "config"
                            : opt->count() == 0   ? "default"
                            : given_on_command_line(argc, argv, name) ? "flag"
                                                                       : "env";
  }
  return c;
}

}  // namespace dagctl::daemon::app
