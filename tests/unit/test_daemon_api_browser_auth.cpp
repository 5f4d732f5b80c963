// Tests for daemon/api/browser_auth: the session a cookie names, a token session's token
// checked again, the Host, CSRF and Origin checks, and the page headers
// (docs/security.md#web-ui). Requests are httplib objects handed over directly.
#include "daemon/api/browser_auth.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "daemon/service/errors.hpp"
#include "daemon/store/store.hpp"
#include "test_util.hpp"

namespace {

namespace api = dagctl::daemon::api;
namespace service = dagctl::daemon::service;
namespace store = dagctl::daemon::store;
using store::TokenScope;
using namespace dagctl::test;  // test_util.hpp

class BrowserAuthTest : public ::testing::Test {
protected:
  BrowserAuthTest()
      : store_(dir_.file("dagctl.db")),
        tokens_(store_, store_.projects().default_organization().id),
        auth_(sessions_, tokens_, "127.0.0.1:8780") {}

  static httplib::Request request(const std::string& method, const std::string& cookie, const std::string& host = "127.0.0.1:8780") {
    httplib::Request req;
    req.method = method;
    req.path = "/api/v1/projects";
    req.set_header("Host", host);
    if (!cookie.empty()) req.set_header("Cookie", cookie);
    return req;
  }
  // The code of the UserError `f` throws; "" when it throws none.
  template <typename F>
  static std::string refusal(F f) {
    try {
      f();
    } catch (const service::UserError& e) {
      return e.code();
    }
    return "";
  }

  TempDir dir_;
  store::Store store_;
  service::Tokens tokens_;
  service::UiSessions sessions_;
  api::BrowserAuth auth_;
};

TEST_F(BrowserAuthTest, TheCookieNamesItsSession) {
  const auto made = sessions_.redeem_link(sessions_.create_link().code);
  ASSERT_TRUE(made);
  const auto req = request("GET", "x=1; dagctl_session=" + made->id);
  EXPECT_TRUE(auth_.has_cookie(req));
  const auto found = auth_.session(req);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kind, service::SessionKind::local);
  EXPECT_FALSE(auth_.session(request("GET", "dagctl_session=nope")));
  EXPECT_FALSE(auth_.has_cookie(request("GET", "other=1")));
}

TEST_F(BrowserAuthTest, ATokenSessionFollowsItsToken) {
  const auto created = tokens_.create("ui", std::nullopt, TokenScope::trigger);
  const auto made = sessions_.create_token_session(TokenScope::trigger, created.token.secret_sha256);
  const auto req = request("GET", "dagctl_session=" + made.id);
  ASSERT_TRUE(auth_.session(req));
  EXPECT_EQ(auth_.session(req)->scope, TokenScope::trigger);
  tokens_.revoke(created.token.id);
  EXPECT_EQ(refusal([&] { auth_.session(req); }), "unauthorized");
  EXPECT_FALSE(auth_.session(req));  // ended, not only refused
}

TEST_F(BrowserAuthTest, TheHostMustBeTheListenersOwn) {
  EXPECT_EQ(refusal([&] { auth_.require_own_host(request("GET", "", "localhost:8780")); }), "");
  EXPECT_EQ(refusal([&] { auth_.require_own_host(request("GET", "", "evil.example:8780")); }), "host_not_allowed");
  EXPECT_EQ(refusal([&] { auth_.require_own_host(request("GET", "", "")); }), "host_not_allowed");
}

TEST_F(BrowserAuthTest, ChangesNeedTheCsrfTokenAndTheirOwnOrigin) {
  const auto made = sessions_.create_token_session(TokenScope::admin, "h");
  const auto& s = made.session;
  auto req = request("POST", "");
  EXPECT_EQ(refusal([&] { auth_.require_csrf(req, s); }), "csrf_failed");
  req.set_header("X-CSRF-Token", s.csrf_token + "x");  // longer: refused without comparing bytes
  EXPECT_EQ(refusal([&] { auth_.require_csrf(req, s); }), "csrf_failed");
  req.headers.erase("X-CSRF-Token");
  std::string flipped = s.csrf_token;
  flipped.back() = flipped.back() == 'a' ? 'b' : 'a';
  req.set_header("X-CSRF-Token", flipped);
  EXPECT_EQ(refusal([&] { auth_.require_csrf(req, s); }), "csrf_failed");
  req.headers.erase("X-CSRF-Token");
  req.set_header("X-CSRF-Token", s.csrf_token);
  EXPECT_EQ(refusal([&] { auth_.require_csrf(req, s); }), "");
  for (const char* origin : {"http://evil.example", "null", "https://127.0.0.1:8780", "http://127.0.0.1:8780/", ""}) {
    auto with_origin = req;
    with_origin.set_header("Origin", origin);
    EXPECT_EQ(refusal([&] { auth_.require_csrf(with_origin, s); }), "csrf_failed") << origin;
  }
  req.set_header("Origin", "http://127.0.0.1:8780");
  EXPECT_EQ(refusal([&] { auth_.require_csrf(req, s); }), "");
  EXPECT_EQ(refusal([&] { auth_.require_csrf(request("GET", ""), s); }), "");  // reads need none
}

TEST_F(BrowserAuthTest, PageHeadersKeepWhatTheHandlerSet) {
  httplib::Response res;
  res.set_header("Cache-Control", "max-age=60");
  api::BrowserAuth::add_page_headers(res);
  EXPECT_EQ(res.get_header_value("Cache-Control"), "max-age=60");
  EXPECT_EQ(res.get_header_value_count("Cache-Control"), 1u);
  EXPECT_NE(res.get_header_value("Content-Security-Policy").find("default-src 'none'; script-src 'self'"), std::string::npos);
  EXPECT_EQ(res.get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(res.get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res.get_header_value("Referrer-Policy"), "no-referrer");
}

TEST_F(BrowserAuthTest, TheCookieIsHttpOnlyAndStrict) {
  EXPECT_EQ(api::BrowserAuth::session_cookie("abc"), "dagctl_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200");
  EXPECT_EQ(api::BrowserAuth::cleared_cookie(), "dagctl_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

}  // namespace
