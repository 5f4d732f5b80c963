// Webhook targets (docs/webhooks.md, "Which URLs and headers are accepted"): our URL
// parser, address classes, the opt-in for link-local and metadata, the daemon's own API,
// and the header rules. Tables: each row is one input a hostile caller could send.
#include "daemon/webhooks/target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/limits.hpp"
#include "daemon/webhooks/payload.hpp"

namespace dagctl::daemon::webhooks {
namespace {

const std::string k200k(200 * 1024, 'a');

// An error message must stay short whatever the input was.
void expect_small(const std::string& message) {
  EXPECT_LT(message.size(), 700u) << message.substr(0, 200);
  EXPECT_EQ(message.find(std::string(100, 'a')), std::string::npos) << "the value is echoed";
}

TEST(WebhookTarget, ParsesHttpUrls) {
  struct Row {
    std::string text, scheme, host;
    int port;
    std::string target;
  };
  const std::vector<Row> rows = {
      {"http://Example.COM", "http", "example.com", 80, "/"},
      {"HTTPS://h:8443/a?b=c#frag", "https", "h", 8443, "/a?b=c"},
      {"http://h?x=1", "http", "h", 80, "/?x=1"},
      {"http://h:/x", "http", "h", 80, "/x"},
      {"http://[::1]:8080/api/v2/dags/d/dagRuns", "http", "::1", 8080, "/api/v2/dags/d/dagRuns"},
      {"http://[FE80::1]/", "http", "fe80::1", 80, "/"},
      {"http://airflow_webserver:8080/", "http", "airflow_webserver", 8080, "/"},
      {"https://h:65535", "https", "h", 65535, "/"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.text);
    const auto url = parse_url(r.text, "webhook_url");
    ASSERT_TRUE(url) << url.error();
    EXPECT_EQ(url->scheme, r.scheme);
    EXPECT_EQ(url->host, r.host);
    EXPECT_EQ(url->port, r.port);
    EXPECT_EQ(url->target, r.target);
  }
  EXPECT_EQ(parse_url("http://[::1]:8080/", "f")->host_header(), "[::1]:8080");
  EXPECT_EQ(parse_url("https://h:443/", "f")->host_header(), "h");
  EXPECT_EQ(parse_url("http://h:81/", "f")->host_header(), "h:81");
}

TEST(WebhookTarget, RefusesMalformedUrlsWithShortMessages) {
  struct Row {
    std::string text, must_contain;
  };
  const std::vector<Row> rows = {
      {"", "empty"},
      {"ftp://h/x", "http:// or https://"},
      {"javascript:alert(1)", "http:// or https://"},
      {"//h/x", "http:// or https://"},
      {"http://", "no host"},
      {"http:///x", "no host"},
      {"http://:80/x", "no host"},
      {"http://user:pw@h/", "user:password@"},
      {"http://@h/", "user:password@"},
      {"http://h:0/", "1 to 65535"},
      {"http://h:65536/", "1 to 65535"},
      {"http://h:99999999999999999999/", "1 to 65535"},
      {"http://h:-1/", "1 to 65535"},
      {"http://h:8080:9090/", "brackets"},
      {"http://::1/", "brackets"},
      {"http://[::1/", "closing"},
      {"http://[::1]x/", "':PORT'"},
      {"http://[fe80::1%25eth0]/", "zone"},
      {"http://[not-v6]/", "IPv6"},
      {"http://h /", "a space"},
      {"http://h/a b", "a space"},
      {"http://h/\r\nX-Injected: 1", "carriage return"},
      {"http://h/\n", "line feed"},
      {std::string("http://h/\0x", 10), "NUL"},
      {"http://h/\x7f", "0x7F"},
      {"http://h/\u2028", "non-ASCII"},
      {"http://h/\ufeff", "non-ASCII"},
      {"http://h\u200b.com/", "non-ASCII"},
      {"http://h\\@evil.com/", "backslash"},
      {"http://h..com/", "empty or over-long label"},
      {"http://.h/", "empty or over-long label"},
      {"http://h./", "empty or over-long label"},
      {"http://" + std::string(64, 'x') + ".com/", "empty or over-long label"},
      {"http://" + std::string(254, 'x') + "/", "253"},
      {"http://h*st/", "letters, digits"},
      {"http://h%41/", "letters, digits"},
      {"http://" + k200k, "the limit is 2048"},
      {"http://h/" + k200k, "the limit is 2048"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.text.substr(0, 80));
    const auto url = parse_url(r.text, "webhook_url");
    ASSERT_FALSE(url);
    EXPECT_NE(url.error().find(r.must_contain), std::string::npos) << url.error();
    EXPECT_EQ(url.error().rfind("webhook_url", 0), 0u) << "names the field: " << url.error();
    expect_small(url.error());
  }
}

TEST(WebhookTarget, ClassifiesEveryAddressClass) {
  struct Row {
    std::string address;
    AddressClass cls;
  };
  using C = AddressClass;
  const std::vector<Row> rows = {
      {"0.0.0.0", C::unspecified},          {"0.1.2.3", C::unspecified},
      {"127.0.0.1", C::loopback},           {"127.255.255.254", C::loopback},
      {"10.1.2.3", C::private_network},     {"172.16.0.1", C::private_network},
      {"172.31.255.255", C::private_network}, {"172.32.0.1", C::ordinary},
      {"192.168.1.1", C::private_network},  {"100.64.0.1", C::private_network},
      {"100.100.100.200", C::metadata},     {"169.254.169.254", C::metadata},
      {"169.254.1.1", C::link_local},       {"169.254.170.2", C::link_local},
      {"224.0.0.1", C::multicast},          {"239.255.255.250", C::multicast},
      {"240.0.0.1", C::reserved},           {"255.255.255.255", C::reserved},
      {"8.8.8.8", C::ordinary},             {"1.1.1.1", C::ordinary},
      {"::", C::unspecified},               {"::1", C::loopback},
      {"fe80::1", C::link_local},           {"febf:ffff::1", C::link_local},
      {"fd00:ec2::254", C::metadata},       {"fd00:ec2::253", C::private_network},
      {"fd12:3456::1", C::private_network}, {"fc00::1", C::private_network},
      {"fec0::1", C::private_network},      {"ff02::1", C::multicast},
      {"::ffff:169.254.169.254", C::metadata}, {"::ffff:127.0.0.1", C::loopback},
      {"::ffff:0.0.0.0", C::unspecified},   {"::169.254.1.1", C::link_local},
      {"64:ff9b::a9fe:a9fe", C::metadata},  {"2002:a9fe:a9fe::1", C::metadata},
      {"2001:4860:4860::8888", C::ordinary},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.address);
    const auto cls = classify_address(r.address);
    ASSERT_TRUE(cls);
    EXPECT_EQ(*cls, r.cls) << describe(*cls);
  }
  EXPECT_FALSE(classify_address("example.com"));
  EXPECT_FALSE(classify_address("0x7f000001"));  // not dotted decimal: check_url refuses it
}

TEST(WebhookTarget, RefusesNumericHostsNotInDottedDecimal) {
  const TargetPolicy policy;
  for (const std::string host : {"0x7f000001", "2130706433", "0177.0.0.1", "127.1", "0x7f.0.0.1", "127.0.0.01",
                                 "0x7F.1", "017700000001", "0xa9fea9fe"}) {
    SCOPED_TRACE(host);
    const auto url = check_url("http://" + host + ":8080/x", "webhook_url", policy);
    ASSERT_FALSE(url);
    EXPECT_NE(url.error().find("dotted decimal"), std::string::npos) << url.error();
  }
  EXPECT_NE(check_url("http://0x7f000001/", "webhook_url", policy).error().find("it means 127.0.0.1"),
            std::string::npos);
  EXPECT_NE(check_url("http://0xa9fea9fe/", "webhook_url", policy).error().find("it means 169.254.169.254"),
            std::string::npos);
  EXPECT_FALSE(check_url("http://1.2.3.4.5/", "webhook_url", policy));
  EXPECT_FALSE(check_url("http://256.1.1.1/", "webhook_url", policy));
  EXPECT_TRUE(check_url("http://127.0.0.1/", "webhook_url", policy));
  EXPECT_TRUE(check_url("http://1.2.3.com/", "webhook_url", policy));  // a name: its last label is a word
}

TEST(WebhookTarget, LinkLocalAndMetadataNeedTheOptIn) {
  const TargetPolicy strict;
  TargetPolicy opted;
  opted.allow_link_local = true;
  for (const std::string url : {"http://169.254.169.254/latest/meta-data/", "http://169.254.1.1:8080/",
                                "http://[fe80::1]/", "http://[fd00:ec2::254]/", "http://100.100.100.200/",
                                "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.goog/",
                                "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/"}) {
    SCOPED_TRACE(url);
    const auto refused = check_url(url, "webhook_url", strict);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("--allow-webhook-link-local"), std::string::npos) << refused.error();
    EXPECT_TRUE(check_url(url, "webhook_url", opted)) << check_url(url, "webhook_url", opted).error();
  }
}

TEST(WebhookTarget, UnspecifiedMulticastAndReservedAreNeverAllowed) {
  TargetPolicy opted;
  opted.allow_link_local = true;
  for (const std::string url : {"http://0.0.0.0:8080/", "http://0.1.2.3/", "http://[::]/", "http://224.0.0.1/",
                                "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/",
                                "http://[::ffff:0.0.0.0]/"}) {
    SCOPED_TRACE(url);
    const auto refused = check_url(url, "webhook_url", opted);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("a webhook cannot go there"), std::string::npos) << refused.error();
  }
}

TEST(WebhookTarget, LoopbackPrivateAndPublicStayAllowed) {
  const TargetPolicy policy = make_policy(false, "127.0.0.1:8780");
  for (const std::string url : {"http://127.0.0.1:8080/api/v2/dags/d/dagRuns", "http://localhost:8080/",
                                "http://[::1]:8080/", "http://10.0.0.5/", "http://192.168.1.20:8080/",
                                "https://airflow.example.com/api/v1/dags/d/dagRuns", "http://127.0.0.1:8781/"}) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(check_url(url, "webhook_url", policy)) << check_url(url, "webhook_url", policy).error();
  }
}

TEST(WebhookTarget, RefusesTheDaemonsOwnApi) {
  const TargetPolicy policy = make_policy(false, "127.0.0.1:8780");
  EXPECT_EQ(policy.self_host, "127.0.0.1");
  EXPECT_EQ(policy.self_port, 8780);
  for (const std::string url : {"http://127.0.0.1:8780/api/v1/health", "http://localhost:8780/",
                                "http://[::1]:8780/", "http://127.0.0.2:8780/", "http://app.localhost:8780/"}) {
    SCOPED_TRACE(url);
    const auto refused = check_url(url, "webhook_url", policy);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("dagctld's own API"), std::string::npos) << refused.error();
  }
  const TargetPolicy v6 = make_policy(false, "[::1]:9000");
  EXPECT_EQ(v6.self_host, "::1");
  EXPECT_FALSE(check_url("http://[::1]:9000/", "webhook_url", v6));
  const TargetPolicy none = make_policy(false, "");
  EXPECT_TRUE(check_url("http://127.0.0.1:8780/", "webhook_url", none));
}

TEST(WebhookTarget, ResolveChecksEveryAddressAName) {
  const TargetPolicy policy = make_policy(false, "127.0.0.1:8780");
  const auto local = resolve(*parse_url("http://localhost:8080/", "f"), "webhook_url", policy);
  EXPECT_TRUE(local.error.empty()) << local.error;
  ASSERT_FALSE(local.addresses.empty());
  for (const auto& a : local.addresses) EXPECT_EQ(classify_address(a), AddressClass::loopback) << a;

  const auto self = resolve(*parse_url("http://localhost:8780/", "f"), "webhook_url", policy);
  EXPECT_TRUE(self.refused);
  EXPECT_TRUE(self.addresses.empty());
  EXPECT_NE(self.error.find("own API"), std::string::npos) << self.error;

  const auto literal = resolve(*parse_url("http://169.254.169.254/", "f"), "webhook_url", policy);
  EXPECT_TRUE(literal.refused);
  EXPECT_NE(literal.error.find("cloud metadata"), std::string::npos) << literal.error;

  TargetPolicy opted = policy;
  opted.allow_link_local = true;
  const auto allowed = resolve(*parse_url("http://169.254.169.254/", "f"), "webhook_url", opted);
  EXPECT_TRUE(allowed.error.empty()) << allowed.error;
  EXPECT_EQ(allowed.addresses, std::vector<std::string>{"169.254.169.254"});
}

TEST(WebhookTarget, EveryReservedHeaderIsRefusedInAnyCase) {
  for (const std::string name :
       {"Transfer-Encoding", "Content-Length", "Host", "Connection", "Keep-Alive", "TE", "Trailer", "Upgrade",
        "Proxy-Authorization", "Proxy-Connection", "proxy-anything", "Expect", "Content-Type", "Content-Encoding",
        "X-Dagctl-Event", "x-dagctl-signature", "X-DAGCTL-Anything", "webhook-id", "Webhook-Signature",
        "WEBHOOK-TIMESTAMP", "transfer-encoding", "HOST", "cOnTeNt-LeNgTh"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(is_reserved_header(name));
    const auto error = check_header(name, "x");
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("reserved"), std::string::npos) << *error;
  }
  for (const std::string name : {"Authorization", "X-Team", "User-Agent", "X-Request-Id", "Accept", "Cookie",
                                 "Webhooks", "X-Dagctl", "Hosting", "TE2"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(check_header(name, "value")) << *check_header(name, "value");
  }
}

TEST(WebhookTarget, HeaderNamesAndValuesAreChecked) {
  struct Row {
    std::string name, value, must_contain;
  };
  const std::vector<Row> rows = {
      {"", "x", "empty"},
      {"bad name", "x", "not a valid HTTP header name"},
      {"a:b", "x", "not a valid HTTP header name"},
      {"X-\u2028", "x", "not a valid HTTP header name"},
      {std::string("X-\0", 3), "x", "not a valid HTTP header name"},
      {std::string(129, 'X'), "x", "the limit is 128"},
      {std::string(60 * 1024, 'a'), "x", "the limit is 128"},
      {"X-Ok", "a\r\nInjected: yes", "line break or NUL"},
      {"X-Ok", "line\nbreak", "line break or NUL"},
      {"X-Ok", std::string("nul\0", 4), "line break or NUL"},
      {"X-Ok", "bell\x07", "control character"},
      {"X-Ok", "del\x7f", "control character"},
      {"X-Ok", std::string(4097, 'v'), "the limit is 4096"},
      {"X-Ok", k200k, "the limit is 4096"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name.substr(0, 40) + ": " + r.value.substr(0, 40));
    const auto error = check_header(r.name, r.value);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find(r.must_contain), std::string::npos) << *error;
    expect_small(*error);
  }
  EXPECT_FALSE(check_header("X-Ok", "tab\tis fine"));
  EXPECT_FALSE(check_header("X-Ok", std::string(4096, 'v')));
  EXPECT_FALSE(check_header(std::string(128, 'X'), "v"));
  EXPECT_FALSE(check_header("X-Ok", "caf\u00e9"));  // obs-text is allowed in values
}

TEST(WebhookTarget, HeaderObjectsAreCheckedWhole) {
  using nlohmann::json;
  EXPECT_TRUE(check_headers(json::array()));
  EXPECT_TRUE(check_headers(json("x")));
  EXPECT_TRUE(check_headers(json{{"X-A", 1}}));
  EXPECT_TRUE(check_headers(json{{"X-A", "1"}, {"x-a", "2"}}));
  json many = json::object();
  for (int i = 0; i < 32; ++i) many["X-H" + std::to_string(i)] = "v";
  EXPECT_FALSE(check_headers(many));
  many["X-H32"] = "v";
  const auto error = check_headers(many);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("the limit is 32"), std::string::npos) << *error;
  EXPECT_FALSE(check_headers(json::object()));
}

TEST(WebhookTarget, QuotesAreShortAndValidUtf8) {
  EXPECT_EQ(common::quote("abc"), "'abc'");
  EXPECT_LE(common::quote(k200k).size(), common::limits::kQuoted + 5);
  EXPECT_EQ(common::quote(std::string("a\0b", 3)), "'a\\x00b'");
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\u00e9";
  const std::string q = common::quote(accents);
  EXPECT_EQ(q.substr(q.size() - 4), "'...");
  EXPECT_EQ((q.size() - 5) % 2, 0u) << "a two-byte character was cut";
}

TEST(WebhookTarget, AirflowUrlsOfAnyLengthAreRecognisedWithoutRecursion) {
  EXPECT_EQ(airflow_api_of("http://af/" + std::string(200 * 1024, '/') + "api/v2/dags/d/dagRuns"), AirflowApi::v2);
  EXPECT_EQ(airflow_api_of("http://" + k200k), AirflowApi::none);
  EXPECT_EQ(airflow_api_of("http://af/api/v1/dags/d/dagRuns?x=" + k200k), AirflowApi::v1);
  EXPECT_EQ(airflow_api_of("http://af/api/v1/dags//dagRuns"), AirflowApi::none);
  EXPECT_EQ(airflow_api_of("http:///api/v1/dags/d/dagRuns"), AirflowApi::none);
  EXPECT_EQ(airflow_api_of("ftp://af/api/v1/dags/d/dagRuns"), AirflowApi::none);
}

}  // namespace
}  // namespace dagctl::daemon::webhooks
