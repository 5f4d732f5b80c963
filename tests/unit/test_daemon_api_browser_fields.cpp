// Tests for daemon/api/browser_fields: the Cookie header and form bodies a browser sends
// (outside input; tests/fuzz/fuzz_browser_fields.cpp fuzzes the same functions).
#include "daemon/api/browser_fields.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using dagctl::daemon::api::cookie_values;
using dagctl::daemon::api::form_field;
using dagctl::daemon::api::form_readable;
using dagctl::daemon::api::kMaxCookieValues;
using V = std::vector<std::string>;

TEST(CookieValues, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_values("dagctl_session=abc", "dagctl_session"), V{"abc"});
  EXPECT_EQ(cookie_values("a=1; dagctl_session=abc; b=2", "dagctl_session"), V{"abc"});
  EXPECT_EQ(cookie_values("a=1;dagctl_session=abc;b=2", "dagctl_session"), V{"abc"});
  EXPECT_EQ(cookie_values("  dagctl_session = abc  ", "dagctl_session"), V{"abc"});
  EXPECT_EQ(cookie_values("dagctl_session=\"abc\"", "dagctl_session"), V{"abc"});
  EXPECT_EQ(cookie_values("dagctl_session=a=b", "dagctl_session"), V{"a=b"});
}

TEST(CookieValues, NamesMatchExactly) {
  EXPECT_EQ(cookie_values("xdagctl_session=abc; dagctl_sessionx=d", "dagctl_session"), V{});
  EXPECT_EQ(cookie_values("DAGCTL_SESSION=abc", "dagctl_session"), V{});
}

TEST(CookieValues, RepeatsAreKeptInOrderUpToACap) {
  EXPECT_EQ(cookie_values("dagctl_session=a; dagctl_session=b", "dagctl_session"), (V{"a", "b"}));
  std::string many;
  for (int i = 0; i < 100; ++i) many += "dagctl_session=" + std::to_string(i) + "; ";
  EXPECT_EQ(cookie_values(many, "dagctl_session").size(), kMaxCookieValues);
}

TEST(CookieValues, MalformedPartsAreSkipped) {
  EXPECT_EQ(cookie_values("", "dagctl_session"), V{});
  EXPECT_EQ(cookie_values(";;;", "dagctl_session"), V{});
  EXPECT_EQ(cookie_values("dagctl_session", "dagctl_session"), V{});
  EXPECT_EQ(cookie_values("dagctl_session=", "dagctl_session"), V{});
  EXPECT_EQ(cookie_values("dagctl_session=\"\"", "dagctl_session"), V{});
  EXPECT_EQ(cookie_values("dagctl_session=\"", "dagctl_session"), V{"\""});
  EXPECT_EQ(cookie_values(std::string("dagctl_session=a\0b", 18), "dagctl_session"), V{std::string("a\0b", 3)});
}

TEST(FormField, DecodesTheField) {
  EXPECT_EQ(form_field("token=dctl_abc", "token"), "dctl_abc");
  EXPECT_EQ(form_field("a=1&token=x%20y+z&b=2", "token"), "x y z");
  EXPECT_EQ(form_field("token=first&token=second", "token"), "first");
  EXPECT_EQ(form_field("to%6Ben=v", "token"), "v");
  EXPECT_EQ(form_field("token=", "token"), "");
  EXPECT_EQ(form_field("token", "token"), "");
}

TEST(FormField, AbsentOrMalformedIsNothing) {
  EXPECT_FALSE(form_field("", "token"));
  EXPECT_FALSE(form_field("tokens=1", "token"));
  EXPECT_FALSE(form_field("token=%", "token"));
  EXPECT_FALSE(form_field("token=%4", "token"));
  EXPECT_FALSE(form_field("token=%zz", "token"));
  EXPECT_EQ(form_field("token=%00", "token"), std::string(1, '\0'));
}

TEST(FormReadable, MalformedEscapesAnywhereMakeItUnreadable) {
  EXPECT_TRUE(form_readable(""));
  EXPECT_TRUE(form_readable("token=dctl_a%20b+c&x"));
  EXPECT_TRUE(form_readable("token=&&"));
  EXPECT_FALSE(form_readable("token=%zz"));
  EXPECT_FALSE(form_readable("token=dctl_ok&other=%4"));
  EXPECT_FALSE(form_readable("to%kken=dctl_ok"));
  EXPECT_FALSE(form_readable("token=%"));
}

}  // namespace
