// bench_nodelay_shim.so: an LD_PRELOAD diagnostic for bench/run, never used by dagctl itself.
// It sets TCP_NODELAY on every socket dagctld accepts, to measure what the REST API's
// keep-alive throughput would be if the daemon's httplib::Server did so itself
// (Server::set_tcp_nodelay(true)). Without it, a keep-alive response written in two
// send() calls waits for the client's delayed ACK (about 40 ms on Linux): Nagle's algorithm.
// On a Unix socket the setsockopt fails harmlessly.
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace {

int with_nodelay(int fd) {
  if (fd >= 0) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  using Fn = int (*)(int, sockaddr*, socklen_t*, int);
  static const Fn real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "accept4"));
  return with_nodelay(real(fd, addr, len, flags));
}

extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  using Fn = int (*)(int, sockaddr*, socklen_t*);
  static const Fn real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "accept"));
  return with_nodelay(real(fd, addr, len));
}
