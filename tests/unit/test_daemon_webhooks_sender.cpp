// Tests for daemon/webhooks/sender over a real store, a fake clock (SenderOptions::clock)
// and a fake receiver: a cpp-httplib server on 127.0.0.1 (loopback targets are allowed; only
// the daemon's own listener is refused). Retries wait the retry delay, Retry-After wins over
// it, an Airflow token is fetched again after a 401, and every attempt is in the delivery log.
// Nothing waits for real time: the test moves the clock and wakes the sender.
#include "daemon/webhooks/sender.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/store.hpp"
#include "test_util.hpp"

namespace {

using namespace std::chrono_literals;
using dagctl::common::TimePoint;
namespace store = dagctl::daemon::store;
namespace webhooks = dagctl::daemon::webhooks;
using namespace dagctl::test;  // test_util.hpp

const TimePoint kT0 = dagctl::common::from_millis(1'790'000'000'000);  // 2026-09-21

// What the fake receiver was sent.
struct Received {
  std::string path;
  std::string authorization;
  std::string body;
};

class SenderTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_.emplace(dir_.file("dagctl.db"));
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) { answer(req, res, hook_); });
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) { answer(req, res, token_); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    // Bound and listening already: a connection waits in the backlog until accept runs.
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });

    store::Project p;
    p.id = "prj-shop";
    p.org_id = store_->projects().default_organization().id;
    p.name = "shop";
    p.path = "/home/ana/shop";
    p.created_at = kT0;
    store::Job j;
    j.id = "job-nightly";
    j.project_id = p.id;
    j.name = "nightly";
    j.created_at = kT0;
    j.updated_at = kT0;
    j.webhook_enabled = true;
    j.webhook_url = url("/hook");
    j.webhook_auth = job_auth_;
    store_->projects().create(p, {j});
  }

  void TearDown() override {
    server_.stop();
    server_thread_.join();
  }

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  void answer(const httplib::Request& req, httplib::Response& res, Handler& handler) {
    std::lock_guard lock(mutex_);
    received_.push_back({req.path, req.get_header_value("Authorization"), req.body});
    if (handler) handler(req, res);
  }
  void on_hook(Handler h) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(h);
  }
  void on_token(Handler h) {
    std::lock_guard lock(mutex_);
    token_ = std::move(h);
  }
  std::vector<Received> received(const std::string& path) {
    std::lock_guard lock(mutex_);
    std::vector<Received> out;
    for (const auto& r : received_) {
      if (r.path == path) out.push_back(r);
    }
    return out;
  }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  void add_delivery(const std::string& id) {
    store::Delivery d;
    d.id = id;
    d.job_id = "job-nightly";
    d.event = "job.completed";
    d.url = url("/hook");
    d.body = R"({"event":"job.completed"})";
    d.next_attempt_at = now();
    d.created_at = now();
    store_->deliveries().insert(d);
  }

  // The delivery once it has had `attempts` attempts (its thread records them).
  store::Delivery after_attempts(const std::string& id, int attempts) {
    std::optional<store::Delivery> d;
    EXPECT_TRUE(eventually([&] {
      d = store_->deliveries().find(id);
      return d && d->attempts >= attempts;
    })) << id << " never had " << attempts << " attempt(s)";
    return d.value_or(store::Delivery{});
  }

  webhooks::SenderOptions options(int retries, std::chrono::milliseconds retry_delay) {
    webhooks::SenderOptions o;
    o.retries = retries;
    o.retry_delay = retry_delay;
    o.timeout = 5s;
    o.user_agent = "dagctl-test";
    o.clock = [this] { return now(); };
    return o;
  }

  TimePoint now() const { return dagctl::common::from_millis(clock_ms_.load()); }
  void advance(std::chrono::milliseconds by) { clock_ms_ += by.count(); }

  TempDir dir_;
  std::optional<store::Store> store_;
  nlohmann::json job_auth_ = nullptr;  // set before SetUp by a fixture that needs it
  std::atomic<std::int64_t> clock_ms_{dagctl::common::to_millis(kT0)};

private:
  httplib::Server server_;
  int port_ = 0;
  std::thread server_thread_;
  std::mutex mutex_;
  std::vector<Received> received_;
  Handler hook_;
  Handler token_;
};

TEST_F(SenderTest, AFailedAttemptIsRetriedAfterTheRetryDelayAndEveryAttemptIsLogged) {
  on_hook([](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content("receiver is down", "text/plain");
  });
  add_delivery("dlv-1");
  webhooks::Sender sender(*store_, options(/*retries=*/2, /*retry_delay=*/30s));
  sender.start();

  auto d = after_attempts("dlv-1", 1);
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.next_attempt_at, kT0 + 30s);  // the clock has not moved: the delay alone
  EXPECT_EQ(d.last_error, "HTTP 500");

  advance(30s);
  sender.wake();
  d = after_attempts("dlv-1", 2);
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.next_attempt_at, kT0 + 60s);

  advance(30s);
  sender.wake();
  d = after_attempts("dlv-1", 3);
  EXPECT_EQ(d.status, "failed");  // the first attempt and 2 retries
  EXPECT_EQ(d.finished_at, kT0 + 60s);
  sender.shutdown();

  EXPECT_EQ(received("/hook").size(), 3u);
  const auto log = store_->deliveries().attempts("dlv-1");
  ASSERT_EQ(log.size(), 3u);
  std::vector<TimePoint> at;
  for (const auto& a : log) {
    EXPECT_EQ(a.status_code, 500);
    EXPECT_EQ(a.response_excerpt, "receiver is down");
    at.push_back(a.at);
  }
  std::sort(at.begin(), at.end());
  EXPECT_EQ(at, (std::vector<TimePoint>{kT0, kT0 + 30s, kT0 + 60s}));
}

TEST_F(SenderTest, RetryAfterWinsOverTheRetryDelayInSecondsOrAsAnHttpDate) {
  std::atomic<int> hits{0};
  on_hook([&](const httplib::Request&, httplib::Response& res) {
    switch (hits++) {
      case 0:
        res.status = 503;
        res.set_header("Retry-After", "120");
        break;
      case 1: {
        res.status = 429;
        // kT0 + 120 s (now) + 300 s, as an HTTP-date.
        const std::time_t when = dagctl::common::to_millis(kT0) / 1000 + 420;
        std::tm tm{};
        ::gmtime_r(&when, &tm);
        char text[64];
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        res.set_header("Retry-After", text);
        break;
      }
      default: res.status = 204;
    }
  });
  add_delivery("dlv-2");
  webhooks::Sender sender(*store_, options(/*retries=*/3, /*retry_delay=*/2s));
  sender.start();

  auto d = after_attempts("dlv-2", 1);
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.next_attempt_at, kT0 + 120s);

  advance(120s);
  sender.wake();
  d = after_attempts("dlv-2", 2);
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.next_attempt_at, kT0 + 420s);

  advance(300s);
  sender.wake();
  d = after_attempts("dlv-2", 3);
  EXPECT_EQ(d.status, "delivered");
  EXPECT_EQ(d.last_error, std::nullopt);
  sender.shutdown();

  const auto log = store_->deliveries().attempts("dlv-2");
  ASSERT_EQ(log.size(), 3u);
  std::vector<int> codes;
  for (const auto& a : log) codes.push_back(a.status_code.value_or(0));
  std::sort(codes.begin(), codes.end());
  EXPECT_EQ(codes, (std::vector<int>{204, 429, 503}));
}

class AirflowSenderTest : public SenderTest {
protected:
  void SetUp() override {
    // The token URL's port is the server's, known only once it is bound: patched below.
    job_auth_ = {{"type", "airflow_jwt"}, {"token_url", "placeholder"}, {"username", "dagctl"}, {"password", "pw"}};
    SenderTest::SetUp();
    store_->jobs().update("job-nightly", [&](store::Job& job) { job.webhook_auth["token_url"] = url("/token"); });
  }
};

TEST_F(AirflowSenderTest, AnExpiredTokenIsFetchedAgainAfterA401AndCachedOtherwise) {
  std::atomic<int> tokens{0};
  on_token([&](const httplib::Request&, httplib::Response& res) {
    res.set_content(nlohmann::json{{"access_token", "tok-" + std::to_string(++tokens)}}.dump(), "application/json");
    res.status = 201;
  });
  // Airflow has already forgotten the first token it gave.
  on_hook([](const httplib::Request& req, httplib::Response& res) {
    res.status = req.get_header_value("Authorization") == "Bearer tok-1" ? 401 : 200;
  });
  add_delivery("dlv-3");
  webhooks::Sender sender(*store_, options(/*retries=*/0, 1s));
  sender.start();

  auto d = after_attempts("dlv-3", 1);
  EXPECT_EQ(d.status, "delivered");  // one attempt: the refresh is part of it
  const auto log = store_->deliveries().attempts("dlv-3");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status_code, 200);
  const auto hooks = received("/hook");
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].authorization, "Bearer tok-1");
  EXPECT_EQ(hooks[1].authorization, "Bearer tok-2");
  const auto token_requests = received("/token");
  ASSERT_EQ(token_requests.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(token_requests[0].body), (nlohmann::json{{"username", "dagctl"}, {"password", "pw"}}));

  // The next delivery uses the cached token; one after its 10 minutes fetches a new one.
  add_delivery("dlv-4");
  sender.wake();
  EXPECT_EQ(after_attempts("dlv-4", 1).status, "delivered");
  EXPECT_EQ(received("/token").size(), 2u);
  EXPECT_EQ(received("/hook").back().authorization, "Bearer tok-2");

  advance(11min);
  add_delivery("dlv-5");
  sender.wake();
  EXPECT_EQ(after_attempts("dlv-5", 1).status, "delivered");
  EXPECT_EQ(received("/token").size(), 3u);
  EXPECT_EQ(received("/hook").back().authorization, "Bearer tok-3");
}

}  // namespace
