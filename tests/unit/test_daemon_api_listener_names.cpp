// Tests for daemon/api/listener_names: which Host headers are the TCP listener's own
// (docs/security.md#web-ui, DNS rebinding) and the address of `dagctl ui`'s link.
#include "daemon/api/listener_names.hpp"

#include <gtest/gtest.h>

namespace {

using dagctl::daemon::api::ListenerNames;

TEST(ListenerNames, LoopbackNamesWithTheListenersPort) {
  const ListenerNames names("127.0.0.1:8780");
  EXPECT_TRUE(names.has_listener());
  EXPECT_EQ(names.base_url(), "http://127.0.0.1:8780");
  for (const char* host : {"127.0.0.1:8780", "localhost:8780", "[::1]:8780", "LocalHost:8780"}) {
    EXPECT_TRUE(names.allows_host(host)) << host;
  }
  for (const char* host : {"", "127.0.0.1", "localhost", "127.0.0.1:8781", "evil.example:8780", "127.0.0.2:8780",
                           "localhost.evil.example:8780", "localhost:8780.evil", " localhost:8780", "[::1]"}) {
    EXPECT_FALSE(names.allows_host(host)) << host;
  }
}

TEST(ListenerNames, TheListenAddressItselfIsAllowed) {
  const ListenerNames names("192.168.1.5:9000");
  EXPECT_EQ(names.base_url(), "http://192.168.1.5:9000");
  EXPECT_TRUE(names.allows_host("192.168.1.5:9000"));
  EXPECT_TRUE(names.allows_host("localhost:9000"));
  EXPECT_FALSE(names.allows_host("192.168.1.6:9000"));
  const ListenerNames v6("[::1]:8780");
  EXPECT_EQ(v6.base_url(), "http://[::1]:8780");
  EXPECT_TRUE(v6.allows_host("[::1]:8780"));
}

TEST(ListenerNames, AWildcardListenerIsReachedThroughLoopback) {
  const ListenerNames any4("0.0.0.0:8780");
  EXPECT_EQ(any4.base_url(), "http://127.0.0.1:8780");
  EXPECT_FALSE(any4.allows_host("0.0.0.0:8780"));
  EXPECT_TRUE(any4.allows_host("127.0.0.1:8780"));
  const ListenerNames any6("[::]:8780");
  EXPECT_EQ(any6.base_url(), "http://[::1]:8780");
}

TEST(ListenerNames, PortEightyMayBeLeftOut) {
  const ListenerNames names("127.0.0.1:80");
  EXPECT_TRUE(names.allows_host("localhost"));
  EXPECT_TRUE(names.allows_host("localhost:80"));
}

TEST(ListenerNames, NoListenerAllowsNothing) {
  const ListenerNames names("");
  EXPECT_FALSE(names.has_listener());
  EXPECT_FALSE(names.allows_host("127.0.0.1:8780"));
  EXPECT_FALSE(names.allows_host(""));
}

}  // namespace
