// Tests for daemon/service/ui_sessions: the web UI's login links and sessions
// (docs/security.md#web-ui) on a fake clock — lifetimes, single use, the caps, what is kept
// (hashes only) and use from many threads.
#include "daemon/service/ui_sessions.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.hpp"

namespace {

using dagctl::common::TimePoint;
using dagctl::daemon::service::SessionKind;
using dagctl::daemon::service::UiSessions;
using dagctl::daemon::store::TokenScope;
using namespace std::chrono_literals;

class UiSessionsTest : public ::testing::Test {
protected:
  TimePoint now_ = TimePoint(std::chrono::milliseconds(1'800'000'000'000));
  UiSessions sessions_{[this] { return now_; }};
};

TEST_F(UiSessionsTest, ALinkMakesOneLocalSession) {
  const auto link = sessions_.create_link();
  EXPECT_EQ(link.expires_at, now_ + 2min);
  EXPECT_GE(link.code.size(), 40u);
  const auto made = sessions_.redeem_link(link.code);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->session.kind, SessionKind::local);
  EXPECT_EQ(made->session.scope, TokenScope::admin);
  EXPECT_EQ(made->session.expires_at, now_ + 12h);
  EXPECT_NE(made->id, made->session.csrf_token);
  // Single use.
  EXPECT_FALSE(sessions_.redeem_link(link.code));
  const auto found = sessions_.find(made->id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->csrf_token, made->session.csrf_token);
  EXPECT_EQ(found->key, dagctl::common::sha256_hex(made->id));  // kept as its hash
}

TEST_F(UiSessionsTest, ALinkExpiresAfterTwoMinutes) {
  const auto link = sessions_.create_link();
  now_ += 2min;
  EXPECT_FALSE(sessions_.redeem_link(link.code));
  const auto other = sessions_.create_link();
  now_ += 2min - 1ms;
  EXPECT_TRUE(sessions_.redeem_link(other.code));
}

TEST_F(UiSessionsTest, ASessionExpiresAfterTwelveHours) {
  const auto made = sessions_.create_token_session(TokenScope::read, "hash");
  now_ += 12h - 1ms;
  EXPECT_TRUE(sessions_.find(made.id));
  now_ += 1ms;
  EXPECT_FALSE(sessions_.find(made.id));
  EXPECT_EQ(sessions_.live_sessions(), 0u);
}

TEST_F(UiSessionsTest, UnknownWrongAndHostileIdsFindNothing) {
  const auto made = sessions_.create_token_session(TokenScope::trigger, "hash");
  EXPECT_FALSE(sessions_.find(""));
  EXPECT_FALSE(sessions_.find(made.id + "x"));
  EXPECT_FALSE(sessions_.find(made.id.substr(1)));
  EXPECT_FALSE(sessions_.find(std::string(200'000, 'a')));
  EXPECT_FALSE(sessions_.find(std::string("a\0b", 3)));
  EXPECT_FALSE(sessions_.find(made.session.key));  // the hash is not the id
  EXPECT_FALSE(sessions_.redeem_link(""));
  EXPECT_FALSE(sessions_.redeem_link(made.id));  // a session id is no link code
  const auto found = sessions_.find(made.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kind, SessionKind::token);
  EXPECT_EQ(found->scope, TokenScope::trigger);
  EXPECT_EQ(found->token_sha256, "hash");
}

TEST_F(UiSessionsTest, EndingASessionIsFinal) {
  const auto made = sessions_.create_token_session(TokenScope::read, "hash");
  sessions_.end(made.session.key);
  EXPECT_FALSE(sessions_.find(made.id));
  sessions_.end(made.session.key);  // twice is harmless
}

TEST_F(UiSessionsTest, TheCapsDropTheOldestFirst) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < UiSessions::kMaxSessions + 5; ++i) {
    ids.push_back(sessions_.create_token_session(TokenScope::read, "h").id);
    now_ += 1ms;
  }
  EXPECT_EQ(sessions_.live_sessions(), UiSessions::kMaxSessions);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(sessions_.find(ids[i])) << i;
  EXPECT_TRUE(sessions_.find(ids[5]));
  EXPECT_TRUE(sessions_.find(ids.back()));

  std::vector<std::string> codes;
  for (std::size_t i = 0; i < UiSessions::kMaxLinks + 3; ++i) {
    codes.push_back(sessions_.create_link().code);
    now_ += 1ms;
  }
  EXPECT_EQ(sessions_.live_links(), UiSessions::kMaxLinks);
  EXPECT_FALSE(sessions_.redeem_link(codes[0]));
  EXPECT_TRUE(sessions_.redeem_link(codes.back()));
}

TEST_F(UiSessionsTest, ExpiredEntriesMakeRoomBeforeLiveOnes) {
  const auto old = sessions_.create_link();
  now_ += 3min;
  for (std::size_t i = 0; i + 1 < UiSessions::kMaxLinks; ++i) sessions_.create_link();
  const auto fresh = sessions_.create_link();
  EXPECT_EQ(sessions_.live_links(), UiSessions::kMaxLinks);
  EXPECT_FALSE(sessions_.redeem_link(old.code));
  EXPECT_TRUE(sessions_.redeem_link(fresh.code));
}

TEST(UiSessionsThreads, ManyThreadsLogInAndLookUpAtOnce) {
  UiSessions sessions;
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        const auto link = sessions.create_link();
        const auto made = sessions.redeem_link(link.code);
        if (made && sessions.find(made->id)) ++found;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(found.load(), 8 * 100);
  EXPECT_EQ(sessions.live_sessions(), 8u * 100u);  // under the cap: none dropped
}

}  // namespace
