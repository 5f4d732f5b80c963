// Tests for daemon/service/ui_sessions and login_links: the web UI's sessions and one-time
// login links (docs/security.md#web-ui) on a fake clock — lifetimes, single use, the caps,
// what is kept (hashes only) and use from many threads.
#include "daemon/service/ui_sessions.hpp"

#include "daemon/service/login_links.hpp"

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
using dagctl::daemon::service::LoginLinks;
using dagctl::daemon::service::SessionKind;
using dagctl::daemon::service::UiSessions;
using dagctl::daemon::store::TokenScope;
using namespace std::chrono_literals;

class UiSessionsTest : public ::testing::Test {
protected:
  TimePoint now_ = TimePoint(std::chrono::milliseconds(1'800'000'000'000));
  UiSessions sessions_{[this] { return now_; }};
  LoginLinks links_{[this] { return now_; }};
};

TEST_F(UiSessionsTest, ALinkWorksOnce) {
  const auto link = links_.create();
  EXPECT_EQ(link.expires_at, now_ + 2min);
  EXPECT_GE(link.code.size(), 40u);
  EXPECT_TRUE(links_.redeem(link.code));
  EXPECT_FALSE(links_.redeem(link.code));
  EXPECT_EQ(links_.live(), 0u);
}

TEST_F(UiSessionsTest, ALocalSessionIsTheOwners) {
  const auto made = sessions_.create_local_session();
  EXPECT_EQ(made.session.kind, SessionKind::local);
  EXPECT_EQ(made.session.scope, TokenScope::admin);
  EXPECT_EQ(made.session.expires_at, now_ + 12h);
  EXPECT_GE(made.id.size(), 40u);
  EXPECT_NE(made.id, made.session.csrf_token);
  const auto found = sessions_.find(made.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->csrf_token, made.session.csrf_token);
  EXPECT_EQ(found->key, dagctl::common::sha256_hex(made.id));  // kept as its hash
}

TEST_F(UiSessionsTest, ALinkExpiresAfterTwoMinutes) {
  const auto link = links_.create();
  now_ += 2min;
  EXPECT_FALSE(links_.redeem(link.code));
  const auto other = links_.create();
  now_ += 2min - 1ms;
  EXPECT_TRUE(links_.redeem(other.code));
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
  EXPECT_FALSE(links_.redeem(""));
  EXPECT_FALSE(links_.redeem(std::string(200'000, 'a')));
  EXPECT_FALSE(links_.redeem(made.id));  // a session id is no link code
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
    ids.push_back(sessions_.create_token_session(TokenScope::read, "h" + std::to_string(i)).id);
    now_ += 1ms;
  }
  EXPECT_EQ(sessions_.live_sessions(), UiSessions::kMaxSessions);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(sessions_.find(ids[i])) << i;
  EXPECT_TRUE(sessions_.find(ids[5]));
  EXPECT_TRUE(sessions_.find(ids.back()));

  std::vector<std::string> codes;
  for (std::size_t i = 0; i < LoginLinks::kMax + 3; ++i) {
    codes.push_back(links_.create().code);
    now_ += 1ms;
  }
  EXPECT_EQ(links_.live(), LoginLinks::kMax);
  EXPECT_FALSE(links_.redeem(codes[0]));
  EXPECT_TRUE(links_.redeem(codes.back()));
}

// A read token's login flood must not log out the owner's session or other tokens'.
TEST_F(UiSessionsTest, OneTokensLoginsDropOnlyItsOwnOldest) {
  const auto local = sessions_.create_local_session();
  const auto other = sessions_.create_token_session(TokenScope::admin, "other");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < UiSessions::kMaxSessions + 5; ++i) {
    ids.push_back(sessions_.create_token_session(TokenScope::read, "flood").id);
    now_ += 1ms;
  }
  EXPECT_TRUE(sessions_.find(local.id));
  EXPECT_TRUE(sessions_.find(other.id));
  EXPECT_EQ(sessions_.live_sessions(), UiSessions::kMaxSessionsPerToken + 2);
  EXPECT_FALSE(sessions_.find(ids[ids.size() - UiSessions::kMaxSessionsPerToken - 1]));
  EXPECT_TRUE(sessions_.find(ids[ids.size() - UiSessions::kMaxSessionsPerToken]));
  EXPECT_TRUE(sessions_.find(ids.back()));
}

TEST_F(UiSessionsTest, ExpiredEntriesMakeRoomBeforeLiveOnes) {
  const auto old = links_.create();
  now_ += 3min;
  for (std::size_t i = 0; i + 1 < LoginLinks::kMax; ++i) links_.create();
  const auto fresh = links_.create();
  EXPECT_EQ(links_.live(), LoginLinks::kMax);
  EXPECT_FALSE(links_.redeem(old.code));
  EXPECT_TRUE(links_.redeem(fresh.code));
}

TEST(UiSessionsThreads, ManyThreadsLogInAndLookUpAtOnce) {
  UiSessions sessions;
  LoginLinks links;
  std::atomic<int> made{0};
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        // Another thread's burst may drop this link (the cap); never a session (under its cap).
        if (!links.redeem(links.create().code)) continue;
        ++made;
        if (sessions.find(sessions.create_local_session().id)) ++found;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(made.load(), 0);
  EXPECT_EQ(found.load(), made.load());
  EXPECT_EQ(sessions.live_sessions(), static_cast<std::size_t>(made.load()));
}

}  // namespace
