// Tests for daemon/store/call_watchdog: a call blocked on a socket whose peer never answers
// (a frozen PostgreSQL server) is cut at the bound; a call that ends in time, and the
// socket after its call ended, are never touched.
#include "daemon/store/call_watchdog.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace {

using dagctl::daemon::store::CallWatchdog;
using namespace std::chrono_literals;

// Two connected sockets: [0] is the client's, [1] a peer that never writes.
struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0); }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int fds[2] = {-1, -1};
};

TEST(CallWatchdog, ABlockedReadIsCutAtTheBound) {
  SocketPair pair;
  CallWatchdog dog(200ms);
  const auto started = std::chrono::steady_clock::now();
  char byte = 0;
  ssize_t got = 0;
  {
    CallWatchdog::Scope scope(dog, pair.fds[0]);
    got = ::recv(pair.fds[0], &byte, 1, 0);  // blocks: the peer never writes
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(got, 0) << "a socket shut down reads as end of stream";
  EXPECT_TRUE(dog.last_cut());
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 5s);
}

TEST(CallWatchdog, ACallThatEndsInTimeAndTheSocketAfterItAreLeftAlone) {
  SocketPair pair;
  CallWatchdog dog(100ms);
  for (int i = 0; i < 3; ++i) {
    CallWatchdog::Scope scope(dog, pair.fds[0]);
  }
  EXPECT_FALSE(dog.last_cut());
  // Long after the bound, the socket still works both ways.
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::send(pair.fds[1], "x", 1, MSG_NOSIGNAL), 1);
  char byte = 0;
  EXPECT_EQ(::recv(pair.fds[0], &byte, 1, 0), 1);
  EXPECT_EQ(::send(pair.fds[0], "y", 1, MSG_NOSIGNAL), 1);
}

TEST(CallWatchdog, EachCallHasItsOwnBound) {
  SocketPair pair;
  CallWatchdog dog(1s);
  // Calls of 400 ms each, one after another: together longer than the bound, none cut.
  for (int i = 0; i < 3; ++i) {
    CallWatchdog::Scope scope(dog, pair.fds[0]);
    std::this_thread::sleep_for(400ms);
  }
  EXPECT_FALSE(dog.last_cut());
  ASSERT_EQ(::send(pair.fds[0], "x", 1, MSG_NOSIGNAL), 1);
}

TEST(CallWatchdog, NoSocketMeansNothingToWatch) {
  CallWatchdog dog(50ms);
  {
    CallWatchdog::Scope scope(dog, -1);
    std::this_thread::sleep_for(150ms);
  }
  EXPECT_FALSE(dog.last_cut());
}

}  // namespace
