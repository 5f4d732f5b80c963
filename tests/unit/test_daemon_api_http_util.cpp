// Tests for daemon/api/http_util: how request bodies and query parameters are read
// (docs/api.md, Errors): 415 for a body that is not JSON, 400 for malformed JSON, a
// non-object or an unknown field, and the number and flag parameters.
#include "daemon/api/http_util.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "daemon/service/errors.hpp"

namespace {

namespace api = dagctl::daemon::api;
using dagctl::daemon::service::UserError;
using nlohmann::json;

// A request with `body` sent as `content_type` (none when empty) and query parameters.
struct Sent {
  explicit Sent(std::string body_text, const std::string& content_type = "application/json") : body(std::move(body_text)) {
    if (!content_type.empty()) http.headers.emplace("Content-Type", content_type);
  }
  api::Call call() const { return api::Call{http, body, true, std::nullopt}; }
  httplib::Request http;
  std::string body;
};

// The UserError `f` throws; fails the test when it throws none.
template <typename F>
std::optional<UserError> refusal(F f) {
  try {
    f();
  } catch (const UserError& e) {
    return e;
  }
  ADD_FAILURE() << "no UserError";
  return std::nullopt;
}

TEST(JsonBody, AJsonObjectIsParsed) {
  const Sent sent(R"({"name": "ci", "n": 2})");
  const auto body = api::json_body(sent.call(), true);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, (json{{"name", "ci"}, {"n", 2}}));
  // The media type's parameters, case and spaces do not matter.
  EXPECT_TRUE(api::json_body(Sent("{}", "Application/JSON ; charset=utf-8").call(), true));
}

TEST(JsonBody, AnEmptyBodyIsNoneOr400WhenRequired) {
  EXPECT_EQ(api::json_body(Sent("", "").call(), false), std::nullopt);
  EXPECT_EQ(api::json_body(Sent(" \r\n\t", "").call(), false), std::nullopt);
  const auto e = refusal([] { api::json_body(Sent("", "").call(), true); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 400);
  EXPECT_EQ(std::string(e->what()), "this request needs a JSON object body");
}

TEST(JsonBody, ABodyThatIsNotJsonIs415) {
  auto e = refusal([] { api::json_body(Sent(R"({"a": 1})", "text/plain").call(), true); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 415);
  EXPECT_EQ(e->code(), "unsupported_media_type");
  EXPECT_EQ(std::string(e->what()), "the body must be JSON with Content-Type: application/json, not 'text/plain'");

  e = refusal([] { api::json_body(Sent("a=1", "").call(), false); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 415);
  EXPECT_NE(std::string(e->what()).find("not 'none'"), std::string::npos) << e->what();

  // Airflow's HttpOperator form-encodes a dict: the answer says what to do instead.
  e = refusal([] { api::json_body(Sent("a=1", "application/x-www-form-urlencoded").call(), false); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 415);
  EXPECT_NE(std::string(e->what()).find("json.dumps"), std::string::npos) << e->what();
}

TEST(JsonBody, MalformedJsonIs400) {
  auto e = refusal([] { api::json_body(Sent(R"({"a": )").call(), true); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 400);
  EXPECT_EQ(e->code(), "invalid_request");
  EXPECT_EQ(std::string(e->what()).rfind("malformed JSON: ", 0), 0u) << e->what();

  // The parser's message is cut short, not the whole body echoed back.
  e = refusal([] { api::json_body(Sent("{\"a\": \"" + std::string(10000, 'x')).call(), true); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 400);
  EXPECT_LT(std::string(e->what()).size(), 400u);

  e = refusal([] { api::json_body(Sent("{\"a\": \"\xff\"}").call(), true); });  // not UTF-8
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 400);
}

TEST(JsonBody, ABodyThatIsNotAnObjectIs400) {
  const auto e = refusal([] { api::json_body(Sent("[1, 2]").call(), true); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 400);
  EXPECT_EQ(std::string(e->what()), "the body must be a JSON object, not array");
}

TEST(RejectUnknownFields, NamesTheFieldAndTheAllowedOnes) {
  EXPECT_NO_THROW(api::reject_unknown_fields(json{{"name", "ci"}}, {"name", "scope"}));
  const auto e = refusal([] { api::reject_unknown_fields(json{{"name", "ci"}, {"colour", 1}}, {"name", "scope"}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status(), 400);
  EXPECT_EQ(std::string(e->what()), "unknown field 'colour'; allowed: name, scope");
}

TEST(ParseWholeNumber, DigitsOnlyUpToTheMaximum) {
  EXPECT_EQ(api::parse_whole_number("0", 10), 0u);
  EXPECT_EQ(api::parse_whole_number("10", 10), 10u);
  EXPECT_EQ(api::parse_whole_number("11", 10), std::nullopt);
  EXPECT_EQ(api::parse_whole_number("18446744073709551615", UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(api::parse_whole_number("18446744073709551616", UINT64_MAX), std::nullopt);
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "1.0", "0x1", "1e3"}) {
    EXPECT_EQ(api::parse_whole_number(text, 1000), std::nullopt) << text;
  }
}

TEST(QueryParameters, LimitAndFlags) {
  Sent sent("", "");
  EXPECT_EQ(api::limit_param(sent.call()), 20);
  EXPECT_TRUE(api::bool_param(sent.call(), "follow", true));
  EXPECT_EQ(api::query_param(sent.call(), "limit"), std::nullopt);
  sent.http.params = {{"limit", "1000"}, {"follow", "false"}};
  EXPECT_EQ(api::limit_param(sent.call()), 1000);
  EXPECT_FALSE(api::bool_param(sent.call(), "follow", true));
  EXPECT_EQ(api::query_param(sent.call(), "limit"), "1000");
  for (const char* bad : {"0", "1001", "ten", "-5"}) {
    sent.http.params = {{"limit", bad}, {"follow", "yes"}};
    const auto e = refusal([&] { api::limit_param(sent.call()); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->http_status(), 400);
    EXPECT_EQ(std::string(e->what()), "'limit' must be a whole number from 1 to 1000");
  }
  const auto e = refusal([&] { api::bool_param(sent.call(), "follow", false); });
  ASSERT_TRUE(e);
  EXPECT_EQ(std::string(e->what()), "'follow' must be true or false");
}

}  // namespace
