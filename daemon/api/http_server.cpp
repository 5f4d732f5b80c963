#include "daemon/api/http_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace dagctl::daemon::api {

namespace {

using Clock = std::chrono::steady_clock;

// How long answers in flight may go on writing once the listener stops.
constexpr std::chrono::seconds kStopGrace{1};

int millis_until(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return 0;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count() + 1;
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

// Waits until `fd` has `events` or the deadline passes. False on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, millis_until(deadline, Clock::now()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

void peer_or_local(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ip.clear();
  port = 0;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0 || (addr.ss_family != AF_INET && addr.ss_family != AF_INET6)) return;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

// One connection's stream for httplib's request parser, with our deadline on reads.
class ConnectionStream : public httplib::Stream {
public:
  ConnectionStream(int fd, Clock::time_point read_deadline, std::chrono::seconds write_timeout,
                   const std::atomic<Clock::rep>& release_at)
      : fd_(fd), read_deadline_(read_deadline), write_timeout_(write_timeout), release_at_(release_at) {}

  bool is_readable() const override { return wait_for(fd_, POLLIN, read_deadline_); }

  bool is_writable() const override {
    // After end_streams(): a log follower of a queued run would stream until the next
    // start; its stream ends here (answers in flight had a grace to finish).
    const Clock::rep release = release_at_.load();
    if (release != 0 && Clock::now().time_since_epoch().count() >= release) return false;
    if (!wait_for(fd_, POLLOUT, Clock::now() + write_timeout_)) return false;
    // The peer may have gone (a follower's client quit): a peek reads 0 bytes then.
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < filled_) {
      const size_t n = std::min(size, filled_ - offset_);
      std::memcpy(ptr, buffer_ + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) return -1;  // the deadline passed: the request came too slowly
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_, sizeof buffer_, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    filled_ = static_cast<size_t>(n);
    offset_ = std::min(size, filled_);
    std::memcpy(ptr, buffer_, offset_);
    return static_cast<ssize_t>(offset_);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { peer_or_local(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { peer_or_local(fd_, false, ip, port); }
  int socket() const override { return fd_; }

private:
  int fd_;
  Clock::time_point read_deadline_;
  std::chrono::seconds write_timeout_;
  const std::atomic<Clock::rep>& release_at_;
  char buffer_[4096];
  size_t offset_ = 0;
  size_t filled_ = 0;
};

// What a client gets when no thread could take its connection in time. Written straight to
// the socket: no thread is free to run the router.
void reject_busy(int fd) {
  static const std::string kBody =
      R"({"error":{"code":"busy","message":"dagctld is serving as many connections as it allows; try again in a second"}})";
  static const std::string kResponse =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
  [[maybe_unused]] auto sent = ::send(fd, kResponse.data(), kResponse.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  // Unread request bytes would turn the close into a reset that can destroy the answer
  // before the client reads it: take what has arrived.
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
}

}  // namespace

HttpServer::HttpServer(HttpLimits limits)
    : limits_(limits), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), pool_(limits.max_connections) {
  if (!wake_fd_) throw std::runtime_error(std::string("eventfd failed: ") + std::strerror(errno));
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::listen_on(common::Fd fd, const std::string& what) {
  // SOMAXCONN: a burst of clients waits in the kernel instead of being reset.
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    throw std::runtime_error("cannot listen on " + what + ": " + std::strerror(errno));
  }
  listen_fd_ = std::move(fd);
  // httplib's streaming answers (log followers) go on while this names a socket.
  svr_sock_ = listen_fd_.get();
}

void HttpServer::bind_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path " + path + " is too long");
  std::copy(path.begin(), path.end(), addr.sun_path);
  common::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw std::runtime_error(std::string("cannot create a Unix socket: ") + std::strerror(errno));
  // Created 0600 from the start: no window in which others could connect.
  const mode_t old_mask = ::umask(0177);
  const int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0) throw std::runtime_error("cannot bind " + path + ": " + std::strerror(bind_errno));
  tcp_ = false;
  listen_on(std::move(fd), path);
}

int HttpServer::bind_tcp(const std::string& host, int port) {
  const std::string shown = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("--listen " + shown + ": cannot resolve '" + host + "': " + ::gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    common::Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd) continue;
    // SO_REUSEADDR lets a restarted daemon bind while old connections linger in TIME_WAIT.
    // Never SO_REUSEPORT: a second daemon must fail here, not share the port.
    const int yes = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      if (errno == EADDRINUSE) {
        ::freeaddrinfo(found);
        throw std::runtime_error("port " + std::to_string(port) + " on " + host +
                                 " is already in use (another dagctld?); pass another --listen HOST:PORT, "
                                 "or --listen none for no TCP API");
      }
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    const int actual = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                         : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    ::freeaddrinfo(found);
    tcp_ = true;
    listen_on(std::move(fd), shown);
    return actual;
  }
  ::freeaddrinfo(found);
  throw std::runtime_error("cannot listen on " + shown + " (" + last_error +
                           "); pass another --listen HOST:PORT, or --listen none");
}

void HttpServer::serve() {
  if (!listen_fd_) throw std::logic_error("HttpServer::serve before bind");
  accept_thread_ = std::thread([this] { accept_loop(); });
}

void HttpServer::end_streams() {
  release_streams_at_ = (Clock::now() + kStopGrace).time_since_epoch().count();
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
  if (accept_thread_.joinable()) accept_thread_.join();
  svr_sock_ = INVALID_SOCKET;  // followers' streams end now, not when their runs do
  listen_fd_.reset();
  pool_.shutdown();  // waits for the connections in flight
}

void HttpServer::accept_loop() {
  Clock::time_point accept_paused_until{};
  while (!stopping_) {
    const auto now = Clock::now();
    reject_overdue(now);
    dispatch_waiting();
    const bool can_accept = waiting_.size() < limits_.max_waiting && now >= accept_paused_until;
    pollfd fds[2] = {{wake_fd_.get(), POLLIN, 0}, {listen_fd_.get(), static_cast<short>(can_accept ? POLLIN : 0), 0}};
    int timeout = -1;
    if (!waiting_.empty()) timeout = millis_until(waiting_.front().since + limits_.queue_wait, now);
    if (now < accept_paused_until) timeout = timeout < 0 ? millis_until(accept_paused_until, now)
                                                         : std::min(timeout, millis_until(accept_paused_until, now));
    if (::poll(fds, 2, timeout) < 0 && errno != EINTR) {
      spdlog::error("HTTP listener: poll failed: {}", std::strerror(errno));
      continue;
    }
    if (fds[0].revents & POLLIN) {
      std::uint64_t count;
      [[maybe_unused]] auto n = ::read(wake_fd_.get(), &count, sizeof count);
    }
    if (stopping_) break;
    if (!(fds[1].revents & POLLIN)) continue;
    while (waiting_.size() < limits_.max_waiting) {
      const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: leave the rest in the backlog for a moment.
          spdlog::warn("HTTP listener: cannot accept ({}); pausing 100 ms", std::strerror(errno));
          accept_paused_until = Clock::now() + std::chrono::milliseconds(100);
        }
        break;  // EAGAIN: nothing more to accept now
      }
      if (tcp_) {
        const int yes = 1;  // headers and body go out in two writes (docs/benchmarks.md)
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      }
      if (fd >= FD_SETSIZE) {
        // httplib 0.11 refuses such sockets with a 500 (it uses select()): say busy instead.
        reject_busy(fd);
        continue;
      }
      waiting_.push_back({fd, Clock::now()});
    }
  }
  for (const auto& w : waiting_) reject_busy(w.fd);
  waiting_.clear();
}

void HttpServer::dispatch_waiting() {
  while (!waiting_.empty()) {
    const int fd = waiting_.front().fd;
    std::function<void()> job = [this, fd] { serve_connection(fd); };
    ++active_;
    if (!pool_.try_enqueue(job)) {
      --active_;
      return;  // every thread is busy: the connection waits
    }
    waiting_.pop_front();
  }
}

void HttpServer::reject_overdue(Clock::time_point now) {
  while (!waiting_.empty() && waiting_.front().since + limits_.queue_wait <= now) {
    reject_busy(waiting_.front().fd);
    waiting_.pop_front();
  }
}

void HttpServer::serve_connection(int fd) {
  for (;;) {
    // Between requests: wait for the next one's first byte, or stop.
    pollfd fds[1] = {{fd, POLLIN, 0}};
    const auto idle_until = Clock::now() + limits_.keep_alive_idle;
    bool ready = false;
    while (!stopping_) {
      const int n = ::poll(fds, 1, std::min(millis_until(idle_until, Clock::now()), 250));
      if (n > 0) {
        ready = true;
        break;
      }
      if ((n < 0 && errno != EINTR) || Clock::now() >= idle_until) break;
    }
    if (!ready) break;
    ConnectionStream stream(fd, Clock::now() + limits_.request_deadline, limits_.write_timeout, release_streams_at_);
    bool connection_closed = false;
    const bool ok = process_request(stream, /*close_connection=*/stopping_.load(), connection_closed, nullptr);
    if (!ok || connection_closed || stopping_) break;
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  --active_;
  const std::uint64_t one = 1;  // a thread is free: the accept loop hands out the next one
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

}  // namespace dagctl::daemon::api
