#include "daemon/daemon.hpp"

#include <httplib.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/fd.hpp"
#include "common/paths.hpp"
#include "daemon/api/router.hpp"
#include "daemon/api/worker_pool.hpp"
#include "daemon/config.hpp"
#include "daemon/lock_file.hpp"
#include "daemon/retention.hpp"
#include "daemon/runner/dispatcher.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/runner/recovery.hpp"
#include "daemon/schedule/scheduler.hpp"
#include "daemon/scheduled_runs.hpp"
#include "daemon/service.hpp"
#include "daemon/signals.hpp"
#include "daemon/tokens.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "daemon/webhooks/sender.hpp"
#include "daemon/store/store.hpp"

namespace dagctl::daemon {

namespace fs = std::filesystem;

namespace {

// Every `trigger --wait` and `logs -f` holds one for the length of its run, so there are
// enough for many followers beside ordinary requests. Started only as needed (WorkerPool).
constexpr int kHttpThreads = 64;

// True when something accepts connections on the Unix socket at `path`.
bool socket_is_live(const std::string& path) {
  common::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!fd || path.size() >= sizeof addr.sun_path) return false;
  std::copy(path.begin(), path.end(), addr.sun_path);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

void prepare_socket_path(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw std::runtime_error("socket path " + path + " is too long for a Unix socket; pass a shorter --socket");
  }
  common::ensure_directory(fs::path(path).parent_path().string(), /*private_dir=*/true);
  if (!fs::exists(fs::symlink_status(path))) return;
  if (socket_is_live(path)) {
    throw std::runtime_error("another dagctld answers on " + path +
                             "; stop it (dagctl daemon stop) or pass another --socket");
  }
  // Left by a daemon that died: nobody answers on it.
  spdlog::info("replacing stale socket {}", path);
  fs::remove(path);
}

void write_ready_file(const std::string& path, const nlohmann::json& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content.dump() << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, path);  // atomic: readers never see half a file
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

class Listener {
public:
  Listener() = default;
  Listener(const Listener&) = delete;
  ~Listener() { stop(); }
  httplib::Server& server() { return server_; }
  void serve() {
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

private:
  httplib::Server server_;
  std::thread thread_;
};

int serve(const Config& config) {
  common::ensure_directory(config.data_dir, /*private_dir=*/true);
  LockFile lock(config.data_dir + "/dagctld.lock");

  store::Store store(config.data_dir + "/dagctl.db");
  webhooks::Outbox outbox(store, store.default_organization());
  if (const int n = runner::recover_interrupted_runs(store, std::chrono::seconds(config.stop_grace_seconds), &outbox); n > 0) {
    spdlog::warn("{} run(s) were interrupted by an unexpected stop and ended 'error'", n);
  }

  // Bind both listeners before anything is announced; they accept once serve() runs.
  prepare_socket_path(config.socket_path);
  Listener unix_listener;
  unix_listener.server().set_address_family(AF_UNIX);
  {
    // Created 0600 from the start: no window in which others could connect.
    const mode_t old_mask = ::umask(0177);
    const bool bound = unix_listener.server().bind_to_port(config.socket_path, 80);
    ::umask(old_mask);
    if (!bound) throw std::runtime_error("cannot listen on " + config.socket_path);
  }
  ::chmod(config.socket_path.c_str(), 0600);

  std::unique_ptr<Listener> tcp_listener;
  std::string http_address;
  if (config.listen != "none") {
    const ListenAddress address = parse_listen(config.listen);
    if (!is_loopback_host(address.host)) {
      if (!config.allow_remote) {
        throw std::runtime_error("--listen " + config.listen +
                                 " is not a loopback address; pass --allow-remote to expose the API "
                                 "beyond this machine (every request still needs a token)");
      }
      spdlog::warn("the REST API listens on {}, beyond this machine: protect it with TLS in front", config.listen);
    }
    tcp_listener = std::make_unique<Listener>();
    // Headers and body go out in two writes; without this each keep-alive answer waits
    // ~40 ms for the client's delayed ACK (Nagle; docs/benchmarks.md measured it). Set on
    // the listening socket before it binds: accepted sockets inherit it.
    tcp_listener->server().set_tcp_nodelay(true);
    const int port = address.port == 0 ? tcp_listener->server().bind_to_any_port(address.host)
                     : tcp_listener->server().bind_to_port(address.host, address.port) ? address.port
                                                                                        : -1;
    if (port <= 0) {
      throw std::runtime_error("cannot listen on " + config.listen +
                               " (in use?); pass another --listen HOST:PORT, or --listen none");
    }
    http_address = (address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host) +
                   ":" + std::to_string(port);
  }

  runner::DbtExecutor executor({config.data_dir, config.dbt, std::chrono::seconds(config.stop_grace_seconds)});
  runner::Dispatcher dispatcher(store, executor, config.max_parallel, &outbox);
  webhooks::SenderOptions sender_options;
  sender_options.retries = config.webhook_retries;
  sender_options.retry_delay = std::chrono::milliseconds(static_cast<long>(config.webhook_retry_delay_seconds * 1000));
  sender_options.user_agent = std::string("dagctl/") + DAGCTL_VERSION;
  sender_options.timeout = std::chrono::seconds(config.webhook_timeout_seconds);
  if (!config.webhook_ca_file.empty()) {
    sender_options.ca_bundle = write_ca_bundle(config.webhook_ca_file, config.data_dir + "/webhook-ca-bundle.pem");
  }
  webhooks::Sender sender(store, sender_options);
  outbox.set_listener([&sender] { sender.wake(); });
  DaemonInfo info{DAGCTL_VERSION, static_cast<int>(::getpid()), config.socket_path, http_address, config.data_dir,
                  config.keep_days, config.keep_runs};
  Service service(store, dispatcher, outbox, info);
  Tokens tokens(store, service.organization().id);
  ScheduledRuns scheduled_runs(store, service);
  schedule::Scheduler scheduler(scheduled_runs);
  Retention retention(store, config.data_dir, {config.keep_days, config.keep_runs});
  service.set_jobs_changed_listener([&scheduler, &retention] {
    scheduler.wake();
    retention.wake();  // a deleted job's or project's run folders can go
  });
  api::Router router(service, tokens, config.data_dir);

  for (Listener* l : {&unix_listener, tcp_listener.get()}) {
    if (!l) continue;
    l->server().new_task_queue = [] { return new api::WorkerPool(kHttpThreads); };
    router.install(l->server(), l == &unix_listener ? api::Listener::unix_socket : api::Listener::tcp);
    l->serve();
  }

  dispatcher.start();
  sender.start();  // also sends what a previous daemon left pending, with the same ids
  scheduler.start();  // its first tick starts the catch-up runs owed by downtime
  retention.start();  // a pass at once, then hourly
  const std::string ready_file = config.data_dir + "/dagctld.json";
  write_ready_file(ready_file, {{"pid", info.pid},
                                {"version", info.version},
                                {"socket", config.socket_path},
                                {"http", http_address.empty() ? nlohmann::json(nullptr) : nlohmann::json(http_address)}});
  spdlog::info("dagctld {} ready: socket {}, http {}, data dir {}, max {} run(s) at once", info.version,
               config.socket_path, http_address.empty() ? "off" : http_address, config.data_dir,
               config.max_parallel);

  const int sig = wait_for_stop_signal();
  spdlog::info("received {}, stopping: running dbt processes are stopped, queued runs stay queued",
               sigabbrev_np(sig));
  std::error_code ec;
  fs::remove(ready_file, ec);
  // Stop accepting at once; the listeners' stops then wait for requests in flight, which
  // include clients following a log until its run ends, so the runs are stopped meanwhile.
  std::thread stop_unix([&] { unix_listener.stop(); });
  std::thread stop_tcp([&] {
    if (tcp_listener) tcp_listener->stop();
  });
  retention.shutdown();
  scheduler.shutdown();
  dispatcher.shutdown();
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
  // glibc gives each thread its own malloc arena; dozens of mostly idle HTTP threads would
  // hold megabytes each. Two arenas are plenty for this daemon's allocation rate.
  mallopt(M_ARENA_MAX, 2);
  try {
    const Config config = parse_config(argc, argv);
    auto logger = spdlog::stderr_color_mt("dagctld");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    return serve(config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dagctld: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace dagctl::daemon
