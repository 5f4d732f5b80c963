// HttpServer: one listener (the Unix socket or TCP) that holds under abuse
// (docs/security.md, "Listeners"). cpp-httplib parses requests and runs the router; the
// socket work is ours because httplib 0.11's own loop cannot be bounded: it listens with a
// backlog of 5, sets SO_REUSEPORT (two daemons could share a port), gives each read a timeout
// but a request no deadline (a client sending a byte every few seconds holds a thread
// forever), and queues connections without limit.
//
// Here: a backlog of SOMAXCONN; at most `max_connections` connections served at once, each
// on a WorkerPool thread; more wait (at most `max_waiting`, in arrival order) and those not
// served within `queue_wait` get a 503; each request must arrive whole (headers and body)
// within `request_deadline` of its first byte being awaited, or the connection is closed.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "daemon/api/worker_pool.hpp"

namespace dagctl::daemon::api {

struct HttpLimits {
  size_t max_connections = 128;
  size_t max_waiting = 256;
  std::chrono::milliseconds queue_wait{2000};
  std::chrono::milliseconds request_deadline{10000};
  std::chrono::seconds keep_alive_idle{5};
  std::chrono::seconds write_timeout{5};
};

class HttpServer : public httplib::Server {
public:
  explicit HttpServer(HttpLimits limits = {});
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds a Unix socket created with mode 0600. Throws std::runtime_error saying why not.
  void bind_unix(const std::string& path);
  // Binds HOST:PORT (port 0: any free one) and returns the port. Throws naming the address
  // when it is taken or cannot be bound.
  int bind_tcp(const std::string& host, int port);

  // Accepts on a thread of its own until stop().
  void serve();
  // Stops accepting, then waits for the connections in flight (a log follower's lasts until
  // its run ends, so runs are stopped meanwhile, or until end_streams()).
  void stop();
  // Ends streaming answers (log followers) a second from now: called once no run will end
  // any more, so followers of queued runs do not hold the stop.
  void end_streams();

  // For tests and `dagctl status`: connections being served now, and waiting for a thread.
  size_t active_connections() const { return active_.load(); }

private:
  struct Waiting {
    int fd;
    std::chrono::steady_clock::time_point since;
  };
  void accept_loop();
  void serve_connection(int fd);
  void dispatch_waiting();
  void reject_overdue(std::chrono::steady_clock::time_point now);
  void listen_on(common::Fd fd, const std::string& what);

  HttpLimits limits_;
  bool tcp_ = false;
  common::Fd listen_fd_;
  common::Fd wake_fd_;  // eventfd: a connection ended, or stop()
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  // steady_clock ticks after which streams stop writing (0: not stopping).
  std::atomic<std::chrono::steady_clock::rep> release_streams_at_{0};
  std::deque<Waiting> waiting_;  // accept thread only
  WorkerPool pool_;
  std::thread accept_thread_;
};

}  // namespace dagctl::daemon::api
