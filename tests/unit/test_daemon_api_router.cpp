// Tests for daemon/api/router: what each listener answers (docs/api.md) — 404 for an
// unknown path, 405 with Allow, local-only routes absent over TCP, tokens and their
// scopes, the 1 MiB body cap — and artifacts streamed from a run's target folder. The
// router runs over a real Service and Store; requests are handed to it directly, no sockets.
#include "daemon/api/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/data_dir.hpp"
#include "daemon/api/request_body.hpp"
#include "daemon/runner/dispatcher.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/service/service.hpp"
#include "daemon/service/tokens.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "test_util.hpp"

namespace {

namespace api = dagctl::daemon::api;
namespace runner = dagctl::daemon::runner;
namespace service = dagctl::daemon::service;
namespace store = dagctl::daemon::store;
namespace fs = std::filesystem;
using api::Listener;
using nlohmann::json;
using store::TokenScope;
using namespace dagctl::test;  // test_util.hpp

struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json body_json() const { return json::parse(body); }
  std::string error_code() const { return body_json()["error"]["code"].get<std::string>(); }
  std::string error_message() const { return body_json()["error"]["message"].get<std::string>(); }
};

struct Request {
  Request(std::string method_, std::string path_, httplib::Headers headers_ = {},
          std::optional<std::string> body_ = std::nullopt)
      : method(std::move(method_)), path(std::move(path_)), headers(std::move(headers_)), body(std::move(body_)) {}
  std::string method;
  std::string path;
  httplib::Headers headers;
  std::optional<std::string> body;  // sent with Content-Length and Content-Type: application/json
};

class RouterTest : public ::testing::Test {
protected:
  RouterTest()
      : store_(dir_.file("dagctl.db")),
        outbox_(store_, store_.projects().default_organization()),
        dispatcher_(store_, executor_, 1, &outbox_),
        service_(store_, dispatcher_, outbox_, daemon_info()),
        tokens_(store_, service_.organization().id),
        router_(service_, tokens_, dir_.path().string()) {}

  service::DaemonInfo daemon_info() const {
    service::DaemonInfo out;
    out.version = "test";
    out.data_dir = dir_.path().string();
    return out;
  }

  Answer call(Listener listener, const Request& request) const {
    httplib::Request req;
    req.method = request.method;
    req.path = request.path;
    req.headers = request.headers;
    httplib::Response res;
    const bool has_body = request.method != "GET" && request.method != "OPTIONS";
    if (!has_body) {
      router_.handle(req, res, listener);
    } else {
      const std::string body = request.body.value_or("");
      if (request.body) {
        req.headers.emplace("Content-Length", std::to_string(body.size()));
        req.headers.emplace("Content-Type", "application/json");
      }
      const httplib::ContentReader reader(
          [&body](httplib::ContentReceiver receive) { return body.empty() || receive(body.data(), body.size()); },
          [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
      router_.handle(req, res, listener, reader);
    }
    return {res.status, res.body, res.headers};
  }
  Answer socket(const Request& request) const { return call(Listener::unix_socket, request); }
  // Over TCP with `token` as the bearer token (none when empty).
  Answer tcp(Request request, const std::string& token) const {
    if (!token.empty()) request.headers.emplace("Authorization", "Bearer " + token);
    return call(Listener::tcp, request);
  }
  std::string token(TokenScope scope) { return tokens_.create("t", std::nullopt, scope).secret; }

  // Registers a project (a folder with dbt_project.yml) over the socket: its id and its
  // default job's.
  std::pair<std::string, std::string> add_project() {
    const fs::path folder = dir_.path() / "shop";
    fs::create_directories(folder);
    std::ofstream(folder / "dbt_project.yml") << "name: shop\n";
    const auto answer =
        socket({"POST", "/api/v1/projects", {}, json{{"path", folder.string()}, {"check", false}}.dump()});
    EXPECT_EQ(answer.status, 201) << answer.body;
    const auto project = answer.body_json();
    return {project["id"].get<std::string>(), project["jobs"][0]["id"].get<std::string>()};
  }

  TempDir dir_;
  store::Store store_;
  dagctl::daemon::webhooks::Outbox outbox_;
  NoExecutor executor_;
  runner::Dispatcher dispatcher_;
  service::Service service_;
  service::Tokens tokens_;
  api::Router router_;
};

TEST_F(RouterTest, AnUnknownPathIs404) {
  for (const auto listener : {Listener::unix_socket, Listener::tcp}) {
    const auto answer = call(listener, {"GET", "/api/v1/nothing"});
    EXPECT_EQ(answer.status, listener == Listener::tcp ? 401 : 404);  // TCP asks for a token first
  }
  const auto answer = socket({"GET", "/api/v1/nothing"});
  EXPECT_EQ(answer.error_code(), "not_found");
  EXPECT_EQ(answer.error_message(), "no route GET '/api/v1/nothing'; see docs/api.md");
  EXPECT_EQ(tcp({"GET", "/api/v1/projects/p/nothing"}, token(TokenScope::admin)).status, 404);
  EXPECT_EQ(socket({"GET", "/api/v1/projects/"}).status, 404);  // an empty id is no id
}

TEST_F(RouterTest, AKnownPathWithAnotherMethodIs405WithAllow) {
  auto answer = socket({"PUT", "/api/v1/projects"});
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(answer.header("Allow"), "GET, POST");
  EXPECT_EQ(answer.error_code(), "method_not_allowed");
  EXPECT_EQ(answer.error_message(), "PUT is not allowed on '/api/v1/projects'; use GET, POST");

  answer = socket({"POST", "/api/v1/projects/p/jobs/j"});
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(answer.header("Allow"), "GET, PATCH, DELETE");

  // Over TCP the local-only POST is not there to allow.
  answer = tcp({"PUT", "/api/v1/projects"}, token(TokenScope::admin));
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(answer.header("Allow"), "GET");
}

// HEAD of a web UI page answers as its GET (httplib leaves the body out); API routes keep
// their own methods.
TEST_F(RouterTest, HeadOfAPageIsItsGet) {
  EXPECT_EQ(socket({"HEAD", "/login"}).status, 200);
  const auto api = socket({"HEAD", "/api/v1/projects"});
  EXPECT_EQ(api.status, 405);
  EXPECT_EQ(api.header("Allow"), "GET, POST");
  EXPECT_EQ(socket({"HEAD", "/logout"}).status, 405);  // a page with no GET
}

TEST_F(RouterTest, LocalOnlyRoutesAre404OverTcpAndWorkOnTheSocket) {
  const auto [project_id, job_id] = add_project();
  const auto admin = token(TokenScope::admin);
  const std::string job = "/api/v1/projects/" + project_id + "/jobs/" + job_id;
  ASSERT_EQ(socket({"PATCH", job, {}, json{{"webhook_url", "https://hooks.example.com/dagctl"}}.dump()}).status, 200);

  const std::vector<Request> local_only = {
      {"GET", "/api/v1/tokens"},
      {"POST", "/api/v1/tokens", {}, json{{"name", "ci"}}.dump()},
      {"GET", job + "/webhook/secret"},
      {"POST", "/api/v1/projects", {}, json{{"path", (dir_.path() / "shop").string()}}.dump()},
      {"GET", "/api/v1/daemon"},
      {"GET", "/api/v1/routes"},
  };
  for (const auto& request : local_only) {
    const auto answer = tcp(request, admin);
    EXPECT_EQ(answer.status, 404) << request.method << " " << request.path << ": " << answer.body;
    EXPECT_EQ(answer.header("Allow"), "") << request.path;
    EXPECT_EQ(answer.error_message().rfind("no route " + request.method + " '/api/v1/", 0), 0u) << answer.body;
  }
  // DELETE on a project exists on the socket only, though GET exists over TCP too: 404, not 405.
  EXPECT_EQ(tcp({"DELETE", "/api/v1/projects/" + project_id}, admin).status, 404);

  EXPECT_EQ(socket({"GET", "/api/v1/tokens"}).status, 200);
  EXPECT_EQ(socket({"POST", "/api/v1/tokens", {}, json{{"name", "ci"}}.dump()}).status, 201);
  const auto secret = socket({"GET", job + "/webhook/secret"});
  EXPECT_EQ(secret.status, 200) << secret.body;
  EXPECT_EQ(secret.body_json()["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  // The same folder again: the route ran, and the service refused the duplicate.
  const auto again = socket({"POST", "/api/v1/projects", {}, json{{"path", (dir_.path() / "shop").string()}}.dump()});
  EXPECT_NE(again.status, 404) << again.body;
  EXPECT_EQ(socket({"GET", "/api/v1/daemon"}).status, 200);
}

TEST_F(RouterTest, TheRouteListGivesOpenApiPathsAndScopes) {
  const auto routes = socket({"GET", "/api/v1/routes"}).body_json()["routes"];
  std::vector<std::string> lines;
  for (const auto& r : routes) {
    lines.push_back(r["method"].get<std::string>() + " " + r["path"].get<std::string>() + " " +
                    (r["scope"].is_null() ? "local" : r["scope"].get<std::string>()));
  }
  const auto has = [&](const std::string& line) { return std::find(lines.begin(), lines.end(), line) != lines.end(); };
  EXPECT_TRUE(has("GET /api/v1/health read"));
  EXPECT_TRUE(has("POST /api/v1/projects/{id}/jobs/{job_id}/trigger trigger"));
  EXPECT_TRUE(has("GET /api/v1/runs/{run_id}/artifacts/{path} read"));
  EXPECT_TRUE(has("POST /api/v1/deliveries/{delivery_id}/redeliver admin"));
  EXPECT_TRUE(has("DELETE /api/v1/tokens/{token_id} local"));
  EXPECT_TRUE(has("DELETE /api/v1/projects/{id} local"));
  EXPECT_TRUE(has("PATCH /api/v1/projects/{id} local"));
  EXPECT_TRUE(has("POST /api/v1/projects/{id}/check local"));
  EXPECT_TRUE(has("GET /api/v1/runs/{run_id}/artifacts read"));
  EXPECT_TRUE(has("POST /api/v1/projects/{id}/jobs/{job_id}/webhook/secret/rotate local"));
  EXPECT_TRUE(has("GET /api/v1/runs/{run_id}/nodes read"));
  EXPECT_TRUE(has("GET /api/v1/projects/{id}/nodes/{unique_id}/history read"));
  EXPECT_TRUE(has("GET /metrics read"));
  EXPECT_EQ(lines.size(), 43u);  // the operations of docs/openapi.yaml
}

TEST_F(RouterTest, TcpNeedsATokenExceptForHealth) {
  auto answer = tcp({"GET", "/api/v1/projects"}, "");
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(tcp({"GET", "/api/v1/projects"}, "dgc_not_a_token").status, 401);
  EXPECT_EQ(tcp({"GET", "/api/v1/health"}, "").status, 200);
  EXPECT_EQ(tcp({"GET", "/api/v1/projects"}, token(TokenScope::read)).status, 200);
  // /metrics is outside /api/ but takes a token all the same (docs/metrics.md); this
  // router has no scraper, so a token gets as far as the 503.
  EXPECT_EQ(tcp({"GET", "/metrics"}, "").status, 401);
  EXPECT_EQ(tcp({"GET", "/metrics"}, token(TokenScope::read)).status, 503);
  // The socket's caller is the owner: no token.
  EXPECT_EQ(socket({"GET", "/api/v1/projects"}).status, 200);
}

TEST_F(RouterTest, AnotherOrganizationsIdIs403) {
  Request request{"GET", "/api/v1/projects"};
  request.headers.emplace("X-Organization-ID", "someone-else");
  const auto answer = tcp(request, token(TokenScope::admin));
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(answer.error_code(), "forbidden");
  request.headers = {{"X-Organization-ID", service_.organization().id}};
  EXPECT_EQ(tcp(request, token(TokenScope::admin)).status, 200);
}

TEST_F(RouterTest, EachRouteNeedsItsScope) {
  const auto [project_id, job_id] = add_project();
  const Request trigger{"POST", "/api/v1/projects/" + project_id + "/jobs/" + job_id + "/trigger"};
  auto answer = tcp(trigger, token(TokenScope::read));
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(answer.error_code(), "forbidden");
  EXPECT_NE(answer.error_message().find("scope 'trigger'"), std::string::npos) << answer.body;
  EXPECT_EQ(store_.runs().list(store::RunFilter{}).size(), 0u);  // refused before the handler ran

  answer = tcp(trigger, token(TokenScope::trigger));
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body_json()["message"], "DBT job run triggered successfully");
  EXPECT_EQ(tcp({"PATCH", "/api/v1/projects/" + project_id + "/jobs/" + job_id, {}, "{}"}, token(TokenScope::trigger)).status,
            403);
}

TEST_F(RouterTest, ABodyOverOneMebibyteIs413) {
  // Declared too large: refused before reading.
  Request declared{"POST", "/api/v1/tokens"};
  declared.headers = {{"Content-Length", std::to_string(api::kMaxBodyBytes + 1)}, {"Content-Type", "application/json"}};
  auto answer = socket(declared);
  EXPECT_EQ(answer.status, 413);
  EXPECT_EQ(answer.error_code(), "payload_too_large");
  EXPECT_EQ(answer.header("Connection"), "close");

  // Chunked, so no length up front: refused once the read passes 1 MiB.
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/v1/tokens";
  req.headers = {{"Transfer-Encoding", "chunked"}, {"Content-Type", "application/json"}};
  const std::string piece(64 * 1024, ' ');
  size_t delivered = 0;
  const httplib::ContentReader reader(
      [&](httplib::ContentReceiver receive) {
        for (int i = 0; i < 20; ++i) {  // 1.25 MiB
          if (!receive(piece.data(), piece.size())) return false;
          delivered += piece.size();
        }
        return true;
      },
      [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
  httplib::Response res;
  router_.handle(req, res, Listener::unix_socket, reader);
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(delivered, api::kMaxBodyBytes);

  // Exactly 1 MiB is read (and then judged as JSON: all blanks is no body).
  answer = socket({"POST", "/api/v1/tokens", {}, std::string(api::kMaxBodyBytes, ' ')});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.error_message(), "this request needs a JSON object body");
}

TEST_F(RouterTest, AnUnreadableBodyIs400) {
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/v1/tokens";
  req.headers = {{"Content-Length", "12"}};
  const httplib::ContentReader reader([](httplib::ContentReceiver) { return false; },
                                      [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
  httplib::Response res;
  router_.handle(req, res, Listener::unix_socket, reader);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(json::parse(res.body)["error"]["message"], "the request body could not be read");
  EXPECT_EQ(socket({"POST", "/api/v1/tokens", {{"Content-Length", "twelve"}}}).status, 400);
}

// The whole answer a streamed response gives, as httplib would send it (before compressing).
std::string drain(httplib::Response& res) {
  if (!res.content_provider_) return res.body;
  std::string out;
  bool done = false;
  httplib::DataSink sink;
  sink.write = [&out](const char* data, size_t size) {
    out.append(data, size);
    return true;
  };
  sink.is_writable = [] { return true; };
  sink.done = [&done] { done = true; };
  if (res.is_chunked_content_provider_) {
    while (!done && res.content_provider_(out.size(), 0, sink)) {}
    return out;
  }
  while (out.size() < res.content_length_) {
    if (!res.content_provider_(out.size(), res.content_length_ - out.size(), sink)) break;
  }
  return out;
}

TEST_F(RouterTest, ArtifactsAreStreamedFromTheRunsTargetFolder) {
  const auto [project_id, job_id] = add_project();
  const auto run_id = socket({"POST", "/api/v1/projects/" + project_id + "/jobs/" + job_id + "/trigger"})
                          .body_json()["job_run_id"]
                          .get<std::string>();
  const fs::path target = dagctl::common::DataDir(dir_.path().string()).run_target(run_id);
  fs::create_directories(target / "compiled");
  std::string big;
  for (int i = 0; big.size() < 300 * 1024; ++i) big += "{\"line\": " + std::to_string(i) + "}\n";
  std::ofstream(target / "run_results.json", std::ios::binary) << big;
  std::ofstream(target / "compiled" / "a.sql") << "select 1";
  std::ofstream(dir_.path() / "secret.txt") << "not an artifact";
  fs::create_symlink(dir_.path() / "secret.txt", target / "outside");

  const std::string artifacts = "/api/v1/runs/" + run_id + "/artifacts/";
  httplib::Request req;
  req.method = "GET";
  req.path = artifacts + "run_results.json";
  httplib::Response res;
  router_.handle(req, res, Listener::unix_socket);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  EXPECT_TRUE(res.body.empty());  // not loaded whole
  EXPECT_EQ(res.content_length_, big.size());
  EXPECT_FALSE(res.is_chunked_content_provider_);
  EXPECT_EQ(drain(res), big);

  // A client that takes gzip gets JSON as a stream httplib compresses (it compresses only
  // those); a Range still gets exact bytes.
  req.headers = {{"Accept-Encoding", "gzip, deflate"}};
  res = {};
  router_.handle(req, res, Listener::unix_socket);
  EXPECT_EQ(res.status, 200);
  EXPECT_TRUE(res.is_chunked_content_provider_);
  EXPECT_EQ(drain(res), big);
  req.headers.emplace("Range", "bytes=0-9");
  res = {};
  router_.handle(req, res, Listener::unix_socket);
  EXPECT_FALSE(res.is_chunked_content_provider_);
  EXPECT_EQ(res.content_length_, big.size());
  req.headers = {};

  req.path = artifacts + "compiled/a.sql";
  res = {};
  router_.handle(req, res, Listener::unix_socket);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(drain(res), "select 1");

  EXPECT_EQ(socket({"GET", artifacts + "../secret.txt"}).status, 400);
  const auto outside = socket({"GET", artifacts + "outside"});
  EXPECT_EQ(outside.status, 404);
  EXPECT_EQ(outside.error_message(),
            "run " + run_id + " has no artifact 'outside' (e.g. run_results.json, manifest.json)");
  EXPECT_EQ(socket({"GET", artifacts + "compiled"}).status, 404);  // a folder
  EXPECT_EQ(socket({"GET", "/api/v1/runs/no-such-run/artifacts/run_results.json"}).status, 404);
}

}  // namespace

namespace {

// GET `path` on the socket with query parameters, as httplib hands them over parsed.
Answer get_with_query(const api::Router& router, const std::string& path, const httplib::Params& params) {
  httplib::Request req;
  req.method = "GET";
  req.path = path;
  req.params = params;
  httplib::Response res;
  router.handle(req, res, Listener::unix_socket);
  return {res.status, res.body, res.headers};
}

std::vector<std::string> run_ids(const Answer& answer) {
  std::vector<std::string> out;
  const json page = answer.body_json();  // held: a range-for over a temporary's member would dangle
  for (const auto& r : page["runs"]) out.push_back(r["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_F(RouterTest, RunsAreListedByStatusesAgeAndIdPrefixWithTheirNames) {
  const auto [project_id, job_id] = add_project();
  const std::string trigger = "/api/v1/projects/" + project_id + "/jobs/" + job_id + "/trigger";
  const auto first = socket({"POST", trigger}).body_json()["job_run_id"].get<std::string>();
  const auto second = socket({"POST", trigger}).body_json()["job_run_id"].get<std::string>();
  const std::vector<std::string> both = {second, first};

  auto list = [this](const httplib::Params& params) { return get_with_query(router_, "/api/v1/runs", params); };
  const auto all = list({{"status", "queued,failed"}});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(run_ids(all), both);
  const json page = all.body_json();
  for (const auto& r : page["runs"]) {
    EXPECT_EQ(r["project_name"], "shop");
    EXPECT_EQ(r["job_current_name"], "default");
  }
  EXPECT_TRUE(run_ids(list({{"status", "failed,error"}})).empty());
  const auto bad_status = list({{"status", "queued,bogus"}});
  EXPECT_EQ(bad_status.status, 400);
  EXPECT_NE(bad_status.error_message().find("'bogus'"), std::string::npos) << bad_status.body;

  EXPECT_EQ(run_ids(list({{"since", "1h"}})), both);
  EXPECT_EQ(run_ids(list({{"since", "2000-01-01T00:00:00Z"}})), both);
  EXPECT_TRUE(run_ids(list({{"since", "2999-01-01T00:00:00+01:00"}})).empty());
  const auto bad_since = list({{"since", "yesterday"}});
  EXPECT_EQ(bad_since.status, 400);
  EXPECT_NE(bad_since.error_message().find("24h"), std::string::npos) << bad_since.body;

  EXPECT_EQ(run_ids(list({{"id_prefix", first}})), std::vector<std::string>{first});
  const auto prefixed = run_ids(list({{"id_prefix", first.substr(0, 6)}}));
  EXPECT_NE(std::find(prefixed.begin(), prefixed.end(), first), prefixed.end());
  const auto short_prefix = list({{"id_prefix", first.substr(0, 5)}});
  EXPECT_EQ(short_prefix.status, 400);
  EXPECT_NE(short_prefix.error_message().find("6"), std::string::npos) << short_prefix.body;
  EXPECT_EQ(list({{"id_prefix", "abc%_*"}}).status, 400);
}
