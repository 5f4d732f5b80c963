// bench_client: the measuring side of bench/run. Each subcommand measures one thing and
// prints one JSON document on stdout (times in milliseconds unless a key says otherwise).
//
//   spawn-floor  --exe PATH --n N [--fifo F]
//       posix_spawn + waitpid of PATH, N times: the machine's floor for starting a process.
//       With --fifo (PATH being bench_fake_dbt) also spawn → the child's own start stamp.
//   trigger      (--targets FILE | --socket S | --tcp HOST:PORT --token T --project P --job J
//                 [--commit-dir D]) --fifo F --n N [--webhook] [--gap-ms G] [--warmup W]
//       N triggers per target, one at a time, round-robin over the targets of FILE (a JSON
//       list of {"label", "socket" | "tcp"+"token", "project", "job", "commit_dir"?}; the
//       targets may be different daemons). Per trigger: the realtime stamp right before the
//       request is sent, the 200, the stand-in's "start" stamp (trigger → dbt started), and
//       with --webhook its "end" stamp and the moment our own receiver got the webhook
//       (dbt exited → webhook received; the daemon's terminal status lies in between).
//       In each gap: one durable SQLite commit in the target's commit_dir (commit_probe,
//       the floor measured in the same seconds) and one thread wake-up through a pipe
//       (wake_probe, the machine's scheduling delay in those seconds).
//   get          (--socket S | --tcp HOST:PORT --token T) --path P --n N
//       N sequential GETs on one keep-alive connection.
//   sqlite-floor --dir D --n N
//       INSERT one row per transaction (BEGIN IMMEDIATE ... COMMIT) in WAL with
//       synchronous=FULL: the durable-commit floor of the disk under D.
//   fill-runs    --db PATH --job J --project P --n N
//       Inserts N finished runs straight into a stopped daemon's database.
//   create-jobs  --socket S --project P --n N
//       Creates jobs j1..jN (dbt build) and prints their trigger paths, one per line.
//   follow-log   --socket S --run R --pid PID [--interval-ms I]
//       Streams GET /api/v1/runs/R/logs?follow=true to nowhere while sampling PID's VmRSS.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/random.hpp"

extern char** environ;

namespace {

using json = nlohmann::json;

long long realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

long long monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& message) {
  std::cerr << "bench_client: " << message << "\n";
  std::exit(2);
}

// --key value pairs and bare --flags.
struct Args {
  std::map<std::string, std::string> values;
  bool has(const std::string& k) const { return values.count(k) != 0; }
  std::string str(const std::string& k) const {
    auto it = values.find(k);
    if (it == values.end()) die("missing --" + k);
    return it->second;
  }
  std::string str(const std::string& k, const std::string& fallback) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
  long num(const std::string& k, long fallback) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : std::stol(it->second);
  }
};

Args parse_args(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0) die("unexpected argument " + k);
    k = k.substr(2);
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      a.values[k] = argv[++i];
    } else {
      a.values[k] = "";
    }
  }
  return a;
}

// Summary of samples given in nanoseconds, reported in milliseconds.
json stats_ms(std::vector<long long> ns) {
  json out;
  out["n"] = ns.size();
  if (ns.empty()) return out;
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) {
    // Nearest rank.
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(ns.size())));
    rank = std::clamp<size_t>(rank, 1, ns.size());
    return static_cast<double>(ns[rank - 1]) / 1e6;
  };
  const double sum = std::accumulate(ns.begin(), ns.end(), 0.0);
  out["min"] = static_cast<double>(ns.front()) / 1e6;
  out["median"] = pct(50);
  out["p90"] = pct(90);
  out["p99"] = pct(99);
  out["max"] = static_cast<double>(ns.back()) / 1e6;
  out["mean"] = sum / static_cast<double>(ns.size()) / 1e6;
  return out;
}

long vm_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// ---- HTTP to the daemon ------------------------------------------------------------------

struct Endpoint {
  std::string socket;  // Unix socket path, or empty for TCP
  std::string host;
  int port = 0;
  std::string token;

  static Endpoint from(const Args& a) {
    Endpoint e;
    if (a.has("socket")) {
      e.socket = a.str("socket");
    } else {
      const std::string addr = a.str("tcp");
      const auto colon = addr.rfind(':');
      if (colon == std::string::npos) die("--tcp wants HOST:PORT");
      e.host = addr.substr(0, colon);
      e.port = std::stoi(addr.substr(colon + 1));
      e.token = a.str("token");
    }
    return e;
  }

  std::unique_ptr<httplib::Client> client(bool keep_alive) const {
    std::unique_ptr<httplib::Client> c;
    if (!socket.empty()) {
      c = std::make_unique<httplib::Client>(socket);
      c->set_address_family(AF_UNIX);
    } else {
      c = std::make_unique<httplib::Client>(host, port);
    }
    c->set_keep_alive(keep_alive);
    c->set_connection_timeout(5);
    c->set_read_timeout(60);
    c->set_tcp_nodelay(true);
    if (!token.empty()) c->set_default_headers({{"Authorization", "Bearer " + token}});
    return c;
  }
};

json checked(const httplib::Result& res, const std::string& what) {
  if (!res) die(what + ": " + httplib::to_string(res.error()));
  if (res->status >= 300) die(what + ": HTTP " + std::to_string(res->status) + " " + res->body);
  return json::parse(res->body);
}

bool is_terminal(const std::string& s) {
  return s == "success" || s == "partial" || s == "failed" || s == "error" || s == "cancelled";
}

// ---- The FIFO the stand-in writes to ------------------------------------------------------

class FifoReader {
 public:
  explicit FifoReader(const std::string& path) {
    if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) die("mkfifo " + path + ": " + std::strerror(errno));
    // O_RDWR: never blocks on open and never sees EOF when a writer goes away.
    fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) die("open " + path + ": " + std::strerror(errno));
  }
  ~FifoReader() { ::close(fd_); }
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;

  // The next "<what> <id> <ns>" line for run `id`; lines of other runs are dropped.
  long long wait_for(const std::string& what, const std::string& id, int timeout_ms = 30000) {
    const long long deadline = monotonic_ns() + static_cast<long long>(timeout_ms) * 1000000LL;
    while (true) {
      for (size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
        std::istringstream line(buffer_.substr(0, nl));
        buffer_.erase(0, nl + 1);
        std::string w, run;
        long long ns = 0;
        line >> w >> run >> ns;
        if (w == what && run == id) return ns;
      }
      const long long left = deadline - monotonic_ns();
      if (left <= 0) die("timed out waiting for '" + what + "' of run " + id + " on the FIFO");
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left / 1000000LL) + 1) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n > 0) buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// ---- Webhook receiver --------------------------------------------------------------------

class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      const long long at = realtime_ns();  // the whole request has been read
      std::string run;
      auto body = json::parse(req.body, nullptr, false);
      if (body.is_object()) run = body["conf"]["job_run"].value("id", "");
      {
        std::lock_guard lock(mutex_);
        received_[run] = at;
      }
      changed_.notify_all();
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) die("webhook receiver: cannot bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  int port() const { return port_; }

  long long wait_for(const std::string& run, int timeout_ms = 30000) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return received_.count(run) != 0; })) {
      die("timed out waiting for the webhook of run " + run);
    }
    return received_[run];
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, long long> received_;
};

// ---- The disk's durable-commit latency -----------------------------------------------------

// One row per transaction in WAL with synchronous=FULL, as the daemon's store commits.
class CommitProbe {
 public:
  explicit CommitProbe(const std::string& path)
      : path_(path), db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("CREATE TABLE IF NOT EXISTS runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
             "job_id TEXT NOT NULL, status TEXT NOT NULL, command TEXT NOT NULL, created_at INTEGER NOT NULL)");
    insert_ = std::make_unique<SQLite::Statement>(
        db_, "INSERT INTO runs (id, job_id, status, command, created_at) VALUES (?, 'job', 'queued', 'dbt build', ?)");
  }
  ~CommitProbe() {
    insert_.reset();
    for (const char* suffix : {"-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  CommitProbe(const CommitProbe&) = delete;
  CommitProbe& operator=(const CommitProbe&) = delete;

  // Nanoseconds for BEGIN IMMEDIATE; INSERT; COMMIT.
  long long once() {
    const long long t0 = monotonic_ns();
    db_.exec("BEGIN IMMEDIATE");
    insert_->bind(1, dagctl::common::uuid4());
    insert_->bind(2, static_cast<int64_t>(realtime_ns() / 1000000));
    insert_->exec();
    insert_->reset();
    db_.exec("COMMIT");
    return monotonic_ns() - t0;
  }

 private:
  std::string path_;
  SQLite::Database db_;
  std::unique_ptr<SQLite::Statement> insert_;
};

// ---- The machine's thread wake-up latency ------------------------------------------------

// A thread blocked in read() on a pipe; once() writes a timestamp and waits for the reader
// to report how long it took to wake. On an idle machine a few microseconds; on a shared
// one it shows how long a runnable thread waits for a CPU, which every hand-off inside the
// daemon (HTTP worker → dispatcher → run thread → dbt) pays.
class WakeProbe {
 public:
  WakeProbe() {
    if (::pipe(to_) != 0 || ::pipe(from_) != 0) die("pipe failed");
    thread_ = std::thread([this] {
      long long sent = 0;
      while (::read(to_[0], &sent, sizeof sent) == static_cast<ssize_t>(sizeof sent)) {
        const long long woke = monotonic_ns() - sent;
        if (::write(from_[1], &woke, sizeof woke) != static_cast<ssize_t>(sizeof woke)) break;
      }
    });
  }
  ~WakeProbe() {
    ::close(to_[1]);
    thread_.join();
    ::close(to_[0]);
    ::close(from_[0]);
    ::close(from_[1]);
  }
  WakeProbe(const WakeProbe&) = delete;
  WakeProbe& operator=(const WakeProbe&) = delete;

  long long once() {
    const long long now = monotonic_ns();
    long long woke = 0;
    if (::write(to_[1], &now, sizeof now) != static_cast<ssize_t>(sizeof now) ||
        ::read(from_[0], &woke, sizeof woke) != static_cast<ssize_t>(sizeof woke)) {
      die("wake probe failed");
    }
    return woke;
  }

 private:
  int to_[2] = {-1, -1};
  int from_[2] = {-1, -1};
  std::thread thread_;
};

// ---- Subcommands -------------------------------------------------------------------------

int cmd_spawn_floor(const Args& a) {
  const std::string exe = a.str("exe");
  const long n = a.num("n", 200);
  std::optional<FifoReader> fifo;
  if (a.has("fifo")) fifo.emplace(a.str("fifo"));

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  if (fifo) env_strings.push_back("BENCH_FIFO=" + a.str("fifo"));
  const size_t run_slot = env_strings.size();
  env_strings.emplace_back();

  // Output to /dev/null, as the daemon sends dbt's to a file.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);

  std::vector<long long> spawn_wait, spawn_to_start;
  for (long i = 0; i < n + 5; ++i) {  // 5 warm-up rounds
    const std::string run = "floor-" + std::to_string(i);
    env_strings[run_slot] = "DAGCTL_RUN_ID=" + run;
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>(exe.c_str()), nullptr};

    const long long t0_real = realtime_ns();
    const long long t0 = monotonic_ns();
    pid_t pid = -1;
    if (const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, envp.data()); rc != 0) {
      die("posix_spawn " + exe + ": " + std::strerror(rc));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    const long long t1 = monotonic_ns();
    if (i < 5) {
      if (fifo) fifo->wait_for("end", run);
      continue;
    }
    spawn_wait.push_back(t1 - t0);
    if (fifo) {
      spawn_to_start.push_back(fifo->wait_for("start", run) - t0_real);
      fifo->wait_for("end", run);
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  json out{{"exe", exe}, {"spawn_wait", stats_ms(spawn_wait)}};
  if (fifo) out["spawn_to_start"] = stats_ms(spawn_to_start);
  std::cout << out.dump() << "\n";
  return 0;
}

// One place triggers go to: a daemon (by its Unix socket or TCP address) and a job of it.
struct Target {
  std::string label;
  Endpoint endpoint;
  std::string job_path;    // /api/v1/projects/P/jobs/J
  std::string commit_dir;  // where this daemon's data lives, for the commit probe; may be empty
};

std::vector<Target> read_targets(const Args& a) {
  std::vector<Target> targets;
  if (a.has("targets")) {
    std::ifstream in(a.str("targets"));
    const json list = json::parse(in);
    for (const auto& t : list) {
      Target target;
      target.label = t.at("label");
      if (t.contains("socket")) {
        target.endpoint.socket = t.at("socket");
      } else {
        Args tcp;
        tcp.values = {{"tcp", t.at("tcp")}, {"token", t.at("token")}};
        target.endpoint = Endpoint::from(tcp);
      }
      target.job_path = "/api/v1/projects/" + t.at("project").get<std::string>() + "/jobs/" + t.at("job").get<std::string>();
      target.commit_dir = t.value("commit_dir", "");
      targets.push_back(target);
    }
  } else {
    Target target;
    target.endpoint = Endpoint::from(a);
    target.label = target.endpoint.socket.empty() ? "tcp" : "unix";
    target.job_path = "/api/v1/projects/" + a.str("project") + "/jobs/" + a.str("job");
    target.commit_dir = a.str("commit-dir", "");
    targets.push_back(target);
  }
  if (targets.empty()) die("no targets");
  return targets;
}

int cmd_trigger(const Args& a) {
  // With several targets, the triggers go round-robin, so that a drift in the machine's
  // load (it may be shared) affects every target alike.
  const std::vector<Target> targets = read_targets(a);
  const long n = a.num("n", 100);  // per target
  const long warmup = a.num("warmup", 5);
  const long gap_ms = a.num("gap-ms", 20);
  const bool webhook = a.has("webhook");
  FifoReader fifo(a.str("fifo"));

  // Per target, a durable commit in its data dir's file system in each gap after its
  // trigger: the floor, measured in the same seconds as the latency it bounds.
  std::map<std::string, std::unique_ptr<CommitProbe>> probes;
  for (const auto& t : targets) {
    if (!t.commit_dir.empty()) probes[t.label] = std::make_unique<CommitProbe>(t.commit_dir + "/commit-probe.sqlite");
  }
  WakeProbe wake;
  std::vector<long long> wake_samples;

  std::unique_ptr<Receiver> receiver;
  if (webhook) {
    receiver = std::make_unique<Receiver>();
    json patch{{"webhook_url", "http://127.0.0.1:" + std::to_string(receiver->port()) + "/hook"},
               {"webhook_enabled", true},
               {"webhook_events", json::array()}};
    for (const auto& t : targets) {
      checked(t.endpoint.client(false)->Patch(t.job_path, patch.dump(), "application/json"), "PATCH job webhook");
    }
  }

  // Polls the run until its status is terminal, on a keep-alive connection per target.
  std::map<std::string, std::unique_ptr<httplib::Client>> status_clients;
  for (const auto& t : targets) status_clients[t.label] = t.endpoint.client(true);
  auto wait_terminal = [&](const Target& t, const std::string& id) {
    const long long deadline = monotonic_ns() + 30'000'000'000LL;
    while (true) {
      const auto run = checked(status_clients[t.label]->Get("/api/v1/runs/" + id), "GET run");
      if (is_terminal(run.value("status", ""))) return run;
      if (monotonic_ns() > deadline) die("run " + id + " did not end within 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };

  struct Samples {
    std::vector<long long> to_start, to_accept, to_webhook, commit;
    std::map<std::string, int> statuses;
  };
  std::map<std::string, Samples> by_target;
  const long rounds = warmup + n;
  for (long i = 0; i < rounds * static_cast<long>(targets.size()); ++i) {
    const Target& t = targets[static_cast<size_t>(i) % targets.size()];
    const bool measured = i / static_cast<long>(targets.size()) >= warmup;
    // A new connection per trigger, as the CLI and Airflow's HttpOperator make one.
    auto client = t.endpoint.client(false);
    const long long sent = realtime_ns();
    auto res = client->Post(t.job_path + "/trigger", "{}", "application/json");
    const long long accepted = realtime_ns();
    const json answer = checked(res, "POST trigger");
    const std::string id = answer.at("job_run_id");
    const long long started = fifo.wait_for("start", id);
    const long long ended = fifo.wait_for("end", id);
    // The webhook follows the terminal status; wait for it before polling the status, so
    // that polling does not compete with the daemon in the interval being measured.
    const long long hooked = receiver ? receiver->wait_for(id) : 0;
    const json run = wait_terminal(t, id);
    Samples& s = by_target[t.label];
    if (measured) {
      s.to_start.push_back(started - sent);
      s.to_accept.push_back(accepted - sent);
      if (receiver) s.to_webhook.push_back(hooked - ended);
      s.statuses[run.value("status", "?")]++;
    }
    // Let the daemon finish its bookkeeping (delivery log, thread joins) before the next one.
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms / 2));
    if (auto p = probes.find(t.label); p != probes.end()) {
      const long long c = p->second->once();
      if (measured) s.commit.push_back(c);
    }
    const long long w = wake.once();
    if (measured) wake_samples.push_back(w);
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms / 2));
  }
  json out{{"wake_probe", stats_ms(wake_samples)}};
  for (const auto& [label, s] : by_target) {
    json& o = out[label];
    o = {{"trigger_to_start", stats_ms(s.to_start)}, {"trigger_to_200", stats_ms(s.to_accept)}, {"statuses", s.statuses}};
    if (!s.commit.empty()) o["commit_probe"] = stats_ms(s.commit);
    if (receiver) o["exit_to_webhook"] = stats_ms(s.to_webhook);
  }
  std::cout << out.dump() << "\n";
  return 0;
}

int cmd_get(const Args& a) {
  const Endpoint ep = Endpoint::from(a);
  const std::string path = a.str("path");
  const long n = a.num("n", 200);
  auto client = ep.client(true);
  std::vector<long long> samples;
  size_t bytes = 0;
  for (long i = 0; i < n + 5; ++i) {
    const long long t0 = monotonic_ns();
    auto res = client->Get(path);
    const long long t1 = monotonic_ns();
    if (!res || res->status != 200) die("GET " + path + " failed");
    bytes = res->body.size();
    if (i >= 5) samples.push_back(t1 - t0);
  }
  std::cout << json{{"path", path}, {"latency", stats_ms(samples)}, {"body_bytes", bytes}}.dump() << "\n";
  return 0;
}

int cmd_sqlite_floor(const Args& a) {
  const std::string path = a.str("dir") + "/commit-floor.sqlite";
  const long n = a.num("n", 1000);
  std::remove(path.c_str());
  {
    CommitProbe probe(path);
    std::vector<long long> samples;
    const long long begin = monotonic_ns();
    for (long i = 0; i < n; ++i) samples.push_back(probe.once());
    const double seconds = static_cast<double>(monotonic_ns() - begin) / 1e9;
    std::cout << json{{"commits", n}, {"seconds", seconds}, {"commits_per_second", static_cast<double>(n) / seconds},
                      {"commit", stats_ms(samples)}}.dump()
              << "\n";
  }
  std::remove(path.c_str());
  return 0;
}

int cmd_fill_runs(const Args& a) {
  SQLite::Database db(a.str("db"), SQLite::OPEN_READWRITE);
  db.exec("PRAGMA journal_mode=WAL");
  const std::string job = a.str("job");
  const std::string project = a.str("project");
  const long n = a.num("n", 100000);
  const long long start_ms = realtime_ns() / 1000000 - static_cast<long long>(n) * 60000;
  SQLite::Transaction tx(db);
  SQLite::Statement s(db,
                      "INSERT INTO runs (id, job_id, project_id, job_name, status, triggered_by, command, "
                      "command_override, created_at, start_time, end_time, exit_code, error_message, results_json) "
                      "VALUES (?, ?, ?, ?, ?, 'manual', 'dbt build', NULL, ?, ?, ?, ?, ?, ?)");
  static const char* kStatuses[] = {"success", "success", "success", "success", "partial", "failed", "error", "cancelled"};
  for (long i = 0; i < n; ++i) {
    const long long created = start_ms + static_cast<long long>(i) * 60000;
    const std::string status = kStatuses[i % 8];
    s.bind(1, dagctl::common::uuid4());
    s.bind(2, job);
    s.bind(3, project);
    s.bind(4, "default-manual-bench-" + std::to_string(i));
    s.bind(5, status);
    s.bind(6, static_cast<int64_t>(created));
    s.bind(7, static_cast<int64_t>(created + 50));
    s.bind(8, static_cast<int64_t>(created + 4050));
    s.bind(9, status == "success" ? 0 : status == "error" ? 2 : 1);
    if (status == "error") {
      s.bind(10, "dbt exited with code 2");
    } else {
      s.bind(10);
    }
    s.bind(11, status == "success" ? R"({"success":10,"pass":20})" : R"({"success":8,"error":1,"skipped":2,"pass":19})");
    s.exec();
    s.reset();
  }
  tx.commit();
  std::cout << json{{"inserted", n}}.dump() << "\n";
  return 0;
}

int cmd_create_jobs(const Args& a) {
  const Endpoint ep = Endpoint::from(a);
  const std::string project = a.str("project");
  const long n = a.num("n", 100);
  auto client = ep.client(true);
  for (long i = 1; i <= n; ++i) {
    const json body{{"name", "j" + std::to_string(i)}, {"command", "dbt build"}};
    const json job = checked(client->Post("/api/v1/projects/" + project + "/jobs", body.dump(), "application/json"),
                             "POST job");
    std::cout << "/api/v1/projects/" << project << "/jobs/" << job.at("id").get<std::string>() << "/trigger\n";
  }
  return 0;
}

int cmd_follow_log(const Args& a) {
  const Endpoint ep = Endpoint::from(a);
  const std::string run = a.str("run");
  const pid_t pid = static_cast<pid_t>(a.num("pid", 0));
  const long interval_ms = a.num("interval-ms", 10);
  if (pid <= 0) die("--pid is required");

  std::atomic<bool> done{false};
  std::vector<long> samples;
  const long before = vm_rss_kib(pid);
  std::thread sampler([&] {
    while (!done) {
      samples.push_back(vm_rss_kib(pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  });
  size_t bytes = 0;
  const long long t0 = monotonic_ns();
  auto client = ep.client(false);
  client->set_read_timeout(600);
  auto res = client->Get("/api/v1/runs/" + run + "/logs?follow=true",
                         [&](const char*, size_t len) {
                           bytes += len;
                           return true;
                         });
  const double seconds = static_cast<double>(monotonic_ns() - t0) / 1e9;
  done = true;
  sampler.join();
  if (!res || res->status != 200) die("GET logs failed");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long after = vm_rss_kib(pid);
  const long max = samples.empty() ? -1 : *std::max_element(samples.begin(), samples.end());
  std::cout << json{{"bytes", bytes},
                    {"seconds", seconds},
                    {"mib_per_second", static_cast<double>(bytes) / 1048576.0 / seconds},
                    {"rss_before_kib", before},
                    {"rss_max_kib", max},
                    {"rss_after_kib", after},
                    {"samples", samples.size()}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: bench_client spawn-floor|trigger|get|sqlite-floor|fill-runs|create-jobs|follow-log [--options]");
  const std::string cmd = argv[1];
  const Args a = parse_args(argc, argv, 2);
  try {
    if (cmd == "spawn-floor") return cmd_spawn_floor(a);
    if (cmd == "trigger") return cmd_trigger(a);
    if (cmd == "get") return cmd_get(a);
    if (cmd == "sqlite-floor") return cmd_sqlite_floor(a);
    if (cmd == "fill-runs") return cmd_fill_runs(a);
    if (cmd == "create-jobs") return cmd_create_jobs(a);
    if (cmd == "follow-log") return cmd_follow_log(a);
  } catch (const std::exception& e) {
    die(cmd + ": " + e.what());
  }
  die("unknown subcommand " + cmd);
}
