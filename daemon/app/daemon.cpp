#include "daemon/app/daemon.hpp"

#include <httplib.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/data_dir.hpp"
#include "common/fd.hpp"
#include "common/paths.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "daemon/api/http_server.hpp"
#include "daemon/api/router.hpp"
#include "daemon/app/config.hpp"
#include "daemon/app/daemon_id.hpp"
#include "daemon/app/heartbeat.hpp"
#include "daemon/app/lock_file.hpp"
#include "daemon/app/signals.hpp"
#include "daemon/metrics/exposition.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/metrics/scrape.hpp"
#include "daemon/runner/dispatcher.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/runner/recovery.hpp"
#include "daemon/runner/retention.hpp"
#include "daemon/runner/sandbox.hpp"
#include "daemon/runner/warm/pool.hpp"
#include "daemon/schedule/scheduler.hpp"
#include "daemon/service/scheduled_runs.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/tokens.hpp"
#include "daemon/store/live_twin.hpp"
#include "daemon/store/store.hpp"
#include "daemon/store/store_url.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "daemon/webhooks/target.hpp"
#include "daemon/webhooks/sender.hpp"

namespace dagctl::daemon::app {

namespace fs = std::filesystem;

namespace {

// True when something accepts connections on the Unix socket at `path`.
bool socket_is_live(const std::string& path) {
  common::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!fd || path.size() >= sizeof addr.sun_path) return false;
  std::copy(path.begin(), path.end(), addr.sun_path);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

std::string this_host() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// A dagctld other than this one runs at `pid` on this machine (a zombie, e.g. just killed
// with -9 and not yet reaped, is dead).
bool is_live_daemon_here(std::int64_t pid) {
  if (pid <= 0 || pid == ::getpid()) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  return line.substr(open + 1, close - open - 1) == "dagctld" && state != 'Z' && state != 'X';
}

// Before recovery ends "this daemon's" runs: a copy of another daemon's data dir would end
// that daemon's live runs and stop their dbt (docs/runs.md, Several daemons).
void refuse_a_live_twin(store::Store& store, const std::string& daemon_id, std::chrono::seconds lease) {
  if (const auto why = store::live_twin(store.daemons().list(), daemon_id, this_host(), ::getpid(), common::now(),
                                        lease, is_live_daemon_here)) {
    throw std::runtime_error(*why);
  }
}

void prepare_socket_path(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw std::runtime_error("socket path " + path + " is too long for a Unix socket; pass a shorter --socket");
  }
  if (const auto made = common::ensure_directory(fs::path(path).parent_path().string(), /*private_dir=*/true); !made) {
    throw std::runtime_error(made.error());
  }
  if (!fs::exists(fs::symlink_status(path))) return;
  if (socket_is_live(path)) {
    throw std::runtime_error("another dagctld answers on " + path +
                             "; stop it (dagctl daemon stop) or pass another --socket");
  }
  // Left by a daemon that died: nobody answers on it.
  spdlog::info("replacing stale socket {}", path);
  fs::remove(path);
}

// Written whole to a temporary file, then renamed: readers never see half a file.
// `private_file`: 0600 before anything is written.
void write_json_file(const std::string& path, const nlohmann::json& content, bool private_file) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (private_file) fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
    out << content.dump() << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, path);
}

void write_ready_file(const std::string& path, const nlohmann::json& content) {
  write_json_file(path, content, /*private_file=*/false);
}

// httplib trusts one CA file, so the extra CA is appended to a copy of the system bundle.
std::string write_ca_bundle(const std::string& extra_ca, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  for (const char* system : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
    std::ifstream in(system);
    if (in) {
      out << in.rdbuf() << "\n";
      break;
    }
  }
  std::ifstream extra(extra_ca);
  out << extra.rdbuf() << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
  return path;
}

// A listener and the thread it accepts on (daemon/api/http_server.hpp).
using Listener = api::HttpServer;

// httplib 0.11 waits on sockets with select(), which cannot watch a descriptor numbered
// FD_SETSIZE (1024) or more: it would write past its fd_set. With the soft limit at
// FD_SETSIZE, running out of descriptors is an error (EMFILE) that the listeners and the
// webhook sender handle, never memory corruption.
void keep_descriptors_below_fd_setsize() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur > FD_SETSIZE) {
    limit.rlim_cur = FD_SETSIZE;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// The --metrics-listen listener (docs/metrics.md): GET /metrics without a token, nothing
// else (404), loopback only (config.cpp refuses other addresses).
void serve_metrics_only(Listener& listener, metrics::Scraper& scraper) {
  listener.Get("/metrics", [&scraper](const httplib::Request&, httplib::Response& res) {
    try {
      res.set_content(scraper.render(), metrics::kContentType);
    } catch (const std::exception& e) {
      spdlog::error("GET /metrics failed: {}", e.what());
      res.status = 500;
      res.set_content("dagctld could not read its metrics; its log says why\n", "text/plain");
    }
  });
  // Other methods: 404 before any body is read (httplib would answer a POST without
  // Content-Length 400 on its own).
  const auto not_found = [](const httplib::Request&, httplib::Response& res, const httplib::ContentReader&) {
    res.status = 404;
  };
  listener.Post("/.*", not_found);
  listener.Put("/.*", not_found);
  listener.Patch("/.*", not_found);
  listener.Delete("/.*", not_found);
  listener.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("this listener serves GET /metrics only\n", "text/plain");
  });
}

// Probes bubblewrap once; with --sandbox on, no sandbox means no daemon (docs/sandbox.md).
runner::SandboxStatus start_sandbox(const Config& config) {
  const auto mode = runner::parse_sandbox_mode(config.sandbox).value_or(runner::SandboxMode::automatic);
  runner::SandboxStatus status = runner::probe_sandbox(mode, config.data_dir);
  if (status.active) {
    spdlog::info("runs are sandboxed: {} (--sandbox {})", status.detail, config.sandbox);
  } else if (mode == runner::SandboxMode::on) {
    throw std::runtime_error("--sandbox on, but runs cannot be sandboxed: " + status.detail +
                             "; install bubblewrap (Debian: apt install bubblewrap) or pass --sandbox auto");
  } else if (mode == runner::SandboxMode::automatic) {
    spdlog::warn("runs are not sandboxed: {} (--sandbox auto; docs/sandbox.md)", status.detail);
  }
  return status;
}

int serve(const Config& config) {
  if (const auto made = common::ensure_directory(config.data_dir, /*private_dir=*/true); !made) {
    throw std::runtime_error(made.error());
  }
  const common::DataDir layout(config.data_dir);
  LockFile lock(layout.lock_file());
  const runner::SandboxStatus sandbox = start_sandbox(config);

  const auto store_url = store::parse_store_url(config.store, layout.database()).value();  // checked by parse_config
  store::Store store(store_url);
  spdlog::info("store: {}", store_url.shown);
  // Several daemons on one database (docs/runs.md, Several daemons): set before any run is touched.
  const std::string daemon_id = load_or_create_daemon_id(layout);
  store.set_owner({daemon_id, std::chrono::seconds(config.lease_seconds), config.system_max_parallel});
  refuse_a_live_twin(store, daemon_id, std::chrono::seconds(config.lease_seconds));
  webhooks::OutboxOptions outbox_options;
  outbox_options.data_dir = config.data_dir;
  outbox_options.openlineage_url = config.openlineage_url;
  outbox_options.openlineage_namespace = config.openlineage_namespace;
  webhooks::Outbox outbox(store, store.projects().default_organization(), outbox_options);
  if (const int n = runner::recover_interrupted_runs(store, std::chrono::seconds(config.stop_grace_seconds), &outbox,
                                                     config.data_dir);
      n > 0) {
    spdlog::warn("{} run(s) were interrupted by an unexpected stop and ended 'error'", n);
  }

  // Bind both listeners before anything is announced; they accept once serve() runs.
  prepare_socket_path(config.socket_path);
  Listener unix_listener;
  unix_listener.bind_unix(config.socket_path);  // mode 0600 from the start

  std::unique_ptr<Listener> tcp_listener;
  std::string http_address;
  if (config.listen != "none") {
    const ListenAddress address = listen_address(config);  // refuses a remote one without --allow-remote
    if (!is_loopback_host(address.host)) {
      spdlog::warn("the REST API listens on {}, beyond this machine: protect it with TLS in front", config.listen);
    }
    tcp_listener = std::make_unique<Listener>();
    const int port = tcp_listener->bind_tcp(address.host, address.port);
    http_address = (address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host) +
                   ":" + std::to_string(port);
    // Slack messages link to the run's page; an address for every interface is no link.
    if (address.host != "0.0.0.0" && address.host != "::") outbox.set_ui_url("http://" + http_address);
  }
  std::unique_ptr<Listener> metrics_listener;
  std::string metrics_address;
  if (!config.metrics_listen.empty()) {
    const ListenAddress address = metrics_listen_address(config);
    metrics_listener = std::make_unique<Listener>();
    const int port = metrics_listener->bind_tcp(address.host, address.port);
    metrics_address = (address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host) +
                      ":" + std::to_string(port);
  }
  metrics::Metrics metrics;

  runner::DbtExecutorOptions executor_options;
  executor_options.data_dir = config.data_dir;
  executor_options.default_dbt = config.dbt;
  executor_options.default_sqlmesh = config.sqlmesh;
  executor_options.stop_grace = std::chrono::seconds(config.stop_grace_seconds);
  executor_options.bwrap = sandbox.bwrap;
  executor_options.socket_path = config.socket_path;
  executor_options.sandbox_writable = config.sandbox_writable;
  executor_options.pass_env = config.pass_env;
  executor_options.newest_successful_run = [&store](const std::string& job_id) { return store.runs().newest_successful(job_id); };
  executor_options.stored_nodes = [&store](const std::string& run_id) { return store.nodes().list(run_id); };
  executor_options.run_command = [&store](const std::string& run_id) -> std::optional<std::string> {
    const auto run = store.runs().find(run_id);
    return run ? std::optional<std::string>(run->command) : std::nullopt;
  };
  runner::warm::PoolOptions warm_options;
  warm_options.enabled = config.warm != "off";
  warm_options.idle = config.warm_idle;
  warm_options.max_workers = std::max(config.max_parallel, 1);  // they count toward --max-parallel
  runner::warm::Pool warm_pool(warm_options);
  executor_options.warm_pool = &warm_pool;
  executor_options.record_git_commit = [&store](const std::string& run_id, const std::string& commit) {
    store.runs().record_git_commit(run_id, commit);
  };
  runner::DbtExecutor executor(executor_options);
  // Declared before the dispatcher, which uses it until its runs have ended (its
  // shutdown stops the mirror's thread, which asks it for progress).
  std::unique_ptr<runner::RunMirror> run_mirror;
  runner::Dispatcher dispatcher(store, executor, config.max_parallel, &outbox);
  dispatcher.set_metrics(&metrics);
  // A store other daemons can read: they show the logs and progress of the runs running
  // here from it (docs/scale-out.md#logs-and-artifacts). The data dir's own SQLite file has
  // no other reader.
  const auto same_file = [](const std::string& a, const std::string& b) {
    std::error_code ec;
    return a == b || fs::equivalent(a, b, ec);
  };
  if (store_url.kind == store::StoreUrl::Kind::postgresql || !same_file(store_url.sqlite_path, layout.database())) {
    run_mirror = std::make_unique<runner::RunMirror>(store, config.data_dir,
                                                     [&dispatcher](const std::string& id) { return dispatcher.progress(id); });
    dispatcher.set_run_mirror(run_mirror.get());
  }
  webhooks::SenderOptions sender_options;
  sender_options.retries = config.webhook_retries;
  sender_options.retry_delay = std::chrono::milliseconds(static_cast<long>(config.webhook_retry_delay_seconds * 1000));
  sender_options.user_agent = std::string("dagctl/") + DAGCTL_VERSION;
  sender_options.timeout = std::chrono::seconds(config.webhook_timeout_seconds);
  sender_options.targets = webhooks::make_policy(config.allow_webhook_link_local, http_address);
  if (!config.webhook_ca_file.empty()) {
    sender_options.ca_bundle = write_ca_bundle(config.webhook_ca_file, layout.webhook_ca_bundle());
  }
  if (!config.openlineage_url.empty()) {
    if (const auto url = webhooks::check_url(config.openlineage_url, "--openlineage-url", sender_options.targets); !url) {
      throw std::runtime_error(url.error());
    }
    spdlog::info("OpenLineage events are on (--openlineage-url; docs/openlineage.md)");
  }
  // A secret: from the environment only, never logged (docs/openlineage.md).
  if (const char* key = std::getenv("DAGCTL_OPENLINEAGE_API_KEY"); key && *key) {
    // It goes into a header: a line break would add headers of its own (the value is not shown).
    const std::string_view k(key);
    if (std::any_of(k.begin(), k.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; })) {
      throw std::runtime_error("DAGCTL_OPENLINEAGE_API_KEY holds a space, line break or control character; "
                               "it is sent as 'Authorization: Bearer KEY'");
    }
    sender_options.openlineage_api_key = key;
  }
  sender_options.metrics = &metrics;
  webhooks::Sender sender(store, sender_options, daemon_id);
  outbox.set_listener([&sender] { sender.wake(); });
  service::DaemonInfo info{DAGCTL_VERSION, static_cast<int>(::getpid()), config.socket_path, http_address, config.data_dir,
                  config.keep_days, config.keep_runs};
  info.allow_webhook_link_local = config.allow_webhook_link_local;
  info.sandbox_mode = std::string(runner::to_string(sandbox.mode));
  info.sandbox_active = sandbox.active;
  info.sandbox_detail = sandbox.detail;
  info.warm_mode = config.warm;
  info.warm_idle_seconds = config.warm_idle.count();
  info.warm_workers = [&warm_pool] { return warm_pool.describe(); };
  info.default_dbt = config.dbt;
  info.default_sqlmesh = config.sqlmesh;
  info.pass_env = config.pass_env;
  info.settings = config.settings;
  info.settings_from = config.settings_from;
  info.config_file = config.config_file;
  metrics::DaemonFacts facts{DAGCTL_VERSION, common::now(), nullptr};
  facts.connections = [&unix_listener, &tcp_listener, &metrics_listener] {
    std::vector<std::pair<std::string, size_t>> out{{"socket", unix_listener.active_connections()}};
    if (tcp_listener) out.emplace_back("tcp", tcp_listener->active_connections());
    if (metrics_listener) out.emplace_back("metrics", metrics_listener->active_connections());
    return out;
  };
  metrics::Scraper scraper(store, metrics, facts);
  info.metrics_text = [&scraper] { return scraper.render(); };
  info.daemon_id = daemon_id;
  info.lease_seconds = config.lease_seconds;
  info.daemons = [&store] { return store.daemons().list(); };
  service::Service service(store, dispatcher, outbox, info);
  service::Tokens tokens(store, service.organization().id);
  service::ScheduledRuns scheduled_runs(store, service, &metrics, daemon_id, std::chrono::seconds(config.lease_seconds));
  schedule::Scheduler scheduler(scheduled_runs);
  runner::Retention retention(store, layout, {config.keep_days, config.keep_runs}, std::chrono::hours(1), daemon_id);
  service.set_jobs_changed_listener([&scheduler, &retention] {
    scheduler.wake();
    retention.wake();  // a deleted project's run folders can go (a job's runs stay)
  });
  api::Router router(service, tokens, config.data_dir, http_address);

  // What `dagctl daemon start` passes on next time (docs/daemon.md#remembered-settings):
  // written once the listeners are bound, so a start that failed is not repeated, and
  // before they answer, so whoever reached the daemon can read it.
  write_json_file(layout.settings_file(), remembered_settings(config), /*private_file=*/true);
  for (Listener* l : {&unix_listener, tcp_listener.get()}) {
    if (!l) continue;
    router.install(*l, l == &unix_listener ? api::Listener::unix_socket : api::Listener::tcp);
    l->serve();
  }
  if (metrics_listener) {
    serve_metrics_only(*metrics_listener, scraper);
    metrics_listener->serve();
  }

  {
    const auto now = common::now();
    store::DaemonRecord me;
    me.id = daemon_id;
    me.host = this_host();
    me.pid = info.pid;
    me.version = info.version;
    me.api = http_address;
    me.lease = std::chrono::seconds(config.lease_seconds);
    me.started_at = now;
    me.heartbeat_at = now;
    store.daemons().register_daemon(me);
  }
  Heartbeat heartbeat(store, dispatcher, &outbox, &metrics);
  heartbeat.start();  // before runs start: it renews their leases
  if (run_mirror) run_mirror->start();
  dispatcher.start();
  sender.start();  // also sends what a previous daemon left pending, with the same ids
  scheduler.start();  // its first tick starts the catch-up runs owed by downtime
  retention.start();  // a pass at once, then hourly
  const std::string ready_file = layout.ready_file();
  nlohmann::json ready{{"pid", info.pid},
                       {"version", info.version},
                       {"socket", config.socket_path},
                       {"http", http_address.empty() ? nlohmann::json(nullptr) : nlohmann::json(http_address)}};
  if (metrics_listener) ready["metrics"] = metrics_address;  // only with --metrics-listen (docs/storage.md)
  write_ready_file(ready_file, ready);
  spdlog::info("dagctld {} ready: socket {}, http {}, data dir {}, max {} run(s) at once", info.version,
               config.socket_path, http_address.empty() ? "off" : http_address, config.data_dir,
               config.max_parallel);
  if (metrics_listener) spdlog::info("metrics for Prometheus without a token: http://{}/metrics", metrics_address);

  const int sig = wait_for_stop_signal();
  spdlog::info("received {}, stopping: running runs are stopped (SIGINT first), queued runs stay queued",
               sigabbrev_np(sig));
  std::error_code ec;
  fs::remove(ready_file, ec);
  // Stop accepting at once; the listeners' stops then wait for requests in flight, which
  // include clients following a log until its run ends, so the runs are stopped meanwhile.
  std::thread stop_unix([&] { unix_listener.stop(); });
  std::thread stop_tcp([&] {
    if (tcp_listener) tcp_listener->stop();
    if (metrics_listener) metrics_listener->stop();
  });
  retention.shutdown();
  scheduler.shutdown();
  dispatcher.shutdown();  // the heartbeat renews the leases of the runs stopping meanwhile
  heartbeat.shutdown();
  try {
    store.daemons().mark_stopped(daemon_id, common::now());
  } catch (const std::exception& e) {
    spdlog::warn("could not mark this daemon stopped in the database: {}", e.what());
  }
  // No run ends any more: followers of queued runs are let go.
  unix_listener.end_streams();
  if (tcp_listener) tcp_listener->end_streams();
  warm_pool.stop_all();  // no run is left: each worker exits as its socket closes
  sender.shutdown();  // undelivered webhooks stay pending for the next start
  stop_unix.join();
  stop_tcp.join();
  fs::remove(config.socket_path, ec);
  spdlog::info("dagctld stopped");
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  block_stop_signals();
  keep_descriptors_below_fd_setsize();
  // glibc gives each thread its own malloc arena; dozens of mostly idle HTTP threads would
  // hold megabytes each. Two arenas are plenty for this daemon's allocation rate.
  mallopt(M_ARENA_MAX, 2);
  try {
    auto parsed = parse_config(argc, argv);
    if (const auto* exit = std::get_if<ConfigExit>(&parsed)) {
      std::fputs(exit->out.c_str(), stdout);
      std::fputs(exit->err.c_str(), stderr);
      return exit->code;
    }
    const Config& config = std::get<Config>(parsed);
    auto logger = spdlog::stderr_color_mt("dagctld");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    return serve(config);
  } catch (const store::StoreOpenError& e) {  // a store that cannot be opened is bad usage (docs/scale-out.md)
    std::fprintf(stderr, "dagctld: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dagctld: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace dagctl::daemon::app
