// Tests for the CLI's arguments -> requests mapping (cli/cmd_*.cpp, docs/api.md): what
// `dagctl ...` sends, and what it prints and exits with for the daemon's answers. The CLI's
// entry point runs against a fake daemon, a cpp-httplib server on a Unix socket in a
// temporary folder, which records each request and answers canned JSON.
#include "cli/app.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace {

using nlohmann::json;
using namespace dagctl::test;  // test_util.hpp

struct Recorded {
  std::string method;
  std::string path;  // with the query string, if any
  std::string body;
  json body_json() const { return json::parse(body); }
};

struct Canned {
  int status = 200;
  json body;
};

// A daemon that answers "METHOD PATH" from a table of canned answers (404 with the error
// JSON of docs/api.md for anything else) and records what it was asked.
class FakeDaemon {
public:
  explicit FakeDaemon(const std::string& socket_path) {
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Patch(".*", handler);
    server_.Delete(".*", handler);
    server_.set_address_family(AF_UNIX);
    if (!server_.bind_to_port(socket_path.c_str(), 80)) throw std::runtime_error("cannot bind " + socket_path);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would leave it running: wait until it does.
    if (!eventually([this] { return server_.is_running(); })) throw std::runtime_error("the fake daemon never ran");
  }
  ~FakeDaemon() {
    server_.stop();
    thread_.join();
  }
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  void on(const std::string& method, const std::string& path, json body, int status = 200) {
    std::lock_guard lock(mutex_);
    canned_[method + " " + path] = {status, std::move(body)};
  }
  std::vector<Recorded> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // The requests other than GETs: what the command changed.
  std::vector<Recorded> changes() const {
    std::vector<Recorded> out;
    for (const auto& r : requests()) {
      if (r.method != "GET") out.push_back(r);
    }
    return out;
  }

private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    std::string path = req.path;
    if (!req.params.empty()) {
      std::string query;
      for (const auto& [k, v] : req.params) query += (query.empty() ? "?" : "&") + k + "=" + v;
      path += query;
    }
    std::lock_guard lock(mutex_);
    requests_.push_back({req.method, path, req.body});
    const auto it = canned_.find(req.method + " " + req.path);
    if (it == canned_.end()) {
      res.status = 404;
      res.set_content(json{{"error", {{"code", "not_found"}, {"message", "no route " + req.path}}}}.dump(),
                      "application/json");
      return;
    }
    res.status = it->second.status;
    res.set_content(it->second.body.dump(), "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, Canned> canned_;
  std::vector<Recorded> requests_;
};

// What one `dagctl` invocation printed and returned.
struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs dagctl::cli::run with stdout and stderr (the file descriptors: the CLI prints with
// std::cout and fprintf) sent to files.
Outcome run_cli(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "dagctl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string out_path = dir.file("stdout"), err_path = dir.file("stderr");
  std::cout.flush();
  std::fflush(stdout);
  std::fflush(stderr);
  const int saved_out = ::dup(1), saved_err = ::dup(2);
  FILE* out_file = std::fopen(out_path.c_str(), "w");
  FILE* err_file = std::fopen(err_path.c_str(), "w");
  ::dup2(::fileno(out_file), 1);
  ::dup2(::fileno(err_file), 2);

  Outcome outcome;
  outcome.exit_code = dagctl::cli::run(static_cast<int>(args.size()), argv.data());

  std::cout.flush();
  std::cerr.flush();
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  std::fclose(out_file);
  std::fclose(err_file);
  outcome.out = read_all(out_path);
  outcome.err = read_all(err_path);
  return outcome;
}

json job_json(const std::string& id, const std::string& name, const std::string& command) {
  return {{"id", id},
          {"project_id", "prj-shop"},
          {"name", name},
          {"command", command},
          {"schedule", nullptr},
          {"timezone", nullptr},
          {"timeout_seconds", nullptr},
          {"enabled", true},
          {"catchup", false},
          {"webhook_enabled", true},
          {"webhook_url", nullptr},
          {"webhook_events", json::array()},
          {"webhook_auth", nullptr},
          {"webhook_headers", json::object()},
          {"schedule_info", nullptr},
          {"created_at", "2026-12-06T10:00:00Z"},
          {"updated_at", "2026-12-06T10:00:00Z"}};
}

class CliRequestsTest : public ::testing::Test {
protected:
  CliRequestsTest() : socket_(dir_.file("d.sock")), daemon_(socket_) {
    // Project "shop" with jobs "default" (dbt build) and "nightly", as GET /projects lists them.
    const json shop = {{"id", "prj-shop"},
                       {"name", "shop"},
                       {"path", "/home/ana/shop"},
                       {"jobs", json::array({job_json("job-default", "default", "dbt build"),
                                             job_json("job-nightly", "nightly", "dbt build --select tag:nightly")})}};
    daemon_.on("GET", "/api/v1/projects", {{"projects", json::array({shop})}});
    daemon_.on("GET", "/api/v1/projects/prj-shop/jobs/job-nightly",
               job_json("job-nightly", "nightly", "dbt build --select tag:nightly"));
    daemon_.on("PATCH", "/api/v1/projects/prj-shop/jobs/job-nightly",
               job_json("job-nightly", "nightly", "dbt build --select tag:nightly"));
    daemon_.on("POST", "/api/v1/projects/prj-shop/jobs/job-nightly/trigger",
               {{"job_run_id", "run-1"}, {"job_name", "nightly-manual-20261206T100000Z"}, {"status", "queued"}}, 201);
  }

  // `dagctl --socket SOCKET args...`.
  Outcome dagctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--socket", socket_});
    return run_cli(dir_, std::move(args));
  }

  // The one request that changed something; fails the test unless there was exactly one.
  Recorded only_change() {
    const auto changes = daemon_.changes();
    EXPECT_EQ(changes.size(), 1u);
    return changes.empty() ? Recorded{} : changes.front();
  }

  TempDir dir_;
  std::string socket_;
  FakeDaemon daemon_;
};

size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST_F(CliRequestsTest, AnEmptyScheduleIsSentAsNullAndNothingElse) {
  const auto outcome = dagctl({"job", "update", "shop/nightly", "--schedule", ""});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  const auto patch = only_change();
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(patch.path, "/api/v1/projects/prj-shop/jobs/job-nightly");
  EXPECT_EQ(patch.body_json(), (json{{"schedule", nullptr}}));
}

TEST_F(CliRequestsTest, AScheduleIsSentAsGiven) {
  EXPECT_EQ(dagctl({"job", "update", "shop/nightly", "--schedule", "0 3 * * *", "--enabled", "false"}).exit_code, 0);
  EXPECT_EQ(only_change().body_json(), (json{{"schedule", "0 3 * * *"}, {"enabled", false}}));
}

TEST_F(CliRequestsTest, RepeatedWebhookHeadersMakeOneObject) {
  const auto outcome = dagctl({"job", "update", "shop/nightly", "--webhook-header", "A: b", "--webhook-header",
                               "X-Team:data"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(only_change().body_json(), (json{{"webhook_headers", {{"A", "b"}, {"X-Team", "data"}}}}));
}

TEST_F(CliRequestsTest, AnEmptyWebhookHeaderClearsThem) {
  EXPECT_EQ(dagctl({"job", "update", "shop/nightly", "--webhook-header", ""}).exit_code, 0);
  EXPECT_EQ(only_change().body_json(), (json{{"webhook_headers", json::object()}}));
}

TEST_F(CliRequestsTest, AnUpdateWithoutFlagsSendsNothing) {
  const auto outcome = dagctl({"job", "update", "shop/nightly"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("nothing to change"), std::string::npos) << outcome.err;
  EXPECT_TRUE(daemon_.changes().empty());
}

TEST_F(CliRequestsTest, SelectAndExcludeAreAppendedToTheJobsCommand) {
  const auto outcome = dagctl({"trigger", "shop/nightly", "--select", "a+", "--exclude", "b"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  const auto trigger = only_change();
  EXPECT_EQ(trigger.method, "POST");
  EXPECT_EQ(trigger.path, "/api/v1/projects/prj-shop/jobs/job-nightly/trigger");
  EXPECT_EQ(trigger.body_json(),
            (json{{"command_override", "dbt build --select tag:nightly --select a+ --exclude b"}}));
  EXPECT_NE(outcome.out.find("run-1"), std::string::npos) << outcome.out;
}

TEST_F(CliRequestsTest, DbtFlagsAreAppendedAndDeferIsAField) {
  const auto outcome = dagctl({"trigger", "shop/nightly", "--vars", "{days: 7}", "--threads", "2", "--full-refresh",
                               "--target", "prod", "--selector", "daily", "--defer-to-last-success"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(only_change().body_json(),
            (json{{"command_override",
                   "dbt build --select tag:nightly --selector daily --vars '{days: 7}' --target prod --threads 2 "
                   "--full-refresh"},
                  {"defer_to_last_success", true}}));
}

TEST_F(CliRequestsTest, DeferToLastSuccessAloneKeepsTheJobsCommand) {
  EXPECT_EQ(dagctl({"trigger", "shop/nightly", "--defer-to-last-success"}).exit_code, 0);
  EXPECT_EQ(only_change().body_json(), (json{{"defer_to_last_success", true}}));
}

TEST_F(CliRequestsTest, ARefusedOverrideIsNamedByTheFlagsTyped) {
  daemon_.on("POST", "/api/v1/projects/prj-shop/jobs/job-nightly/trigger",
             {{"error", {{"code", "invalid_request"}, {"message", "command_override: 'dbt ls' does not take '--threads'"}}}},
             400);
  const auto outcome = dagctl({"trigger", "shop/nightly", "--command", "dbt ls", "--threads", "3"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.err, "dagctl: error: --command/--threads: 'dbt ls' does not take '--threads'\n");
}

TEST_F(CliRequestsTest, JobUpdateAppendsDbtFlagsToTheStoredCommand) {
  const auto outcome = dagctl({"job", "update", "shop/nightly", "--threads", "4", "--defer-to-last-success"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(only_change().body_json(), (json{{"command", "dbt build --select tag:nightly --threads 4 --defer"}}));
}

TEST_F(CliRequestsTest, APlainTriggerSendsNoOverride) {
  EXPECT_EQ(dagctl({"trigger", "shop/nightly"}).exit_code, 0);
  EXPECT_EQ(only_change().body_json(), json::object());
}

TEST_F(CliRequestsTest, AnEmptySelectIsRefusedBeforeAnythingIsSent) {
  const auto outcome = dagctl({"trigger", "shop/nightly", "--select", ""});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("--select is empty"), std::string::npos) << outcome.err;
  EXPECT_TRUE(daemon_.changes().empty());
}

TEST_F(CliRequestsTest, ProjectAddSendsThePathAndTheEnvironment) {
  const std::string folder = dir_.file("shop");
  daemon_.on("POST", "/api/v1/projects",
             {{"id", "prj-shop"}, {"name", "shop"}, {"path", folder},
              {"jobs", json::array({job_json("job-default", "default", "dbt build")})}},
             201);
  const auto outcome = dagctl({"project", "add", folder, "--env", "DBT_TARGET_SCHEMA=ana", "--env", "K=a=b"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  const auto add = only_change();
  EXPECT_EQ(add.method, "POST");
  EXPECT_EQ(add.path, "/api/v1/projects");
  EXPECT_EQ(add.body_json(), (json{{"path", folder}, {"env", {{"DBT_TARGET_SCHEMA", "ana"}, {"K", "a=b"}}}}));
  EXPECT_NE(outcome.out.find("registered project shop"), std::string::npos) << outcome.out;
}

TEST_F(CliRequestsTest, AnEnvWithoutEqualsIsRefused) {
  const auto outcome = dagctl({"project", "add", dir_.file("shop"), "--env", "NOVALUE"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("--env takes K=V"), std::string::npos) << outcome.err;
  EXPECT_TRUE(daemon_.requests().empty());
}

TEST_F(CliRequestsTest, JsonOutputIsExactlyOneDocument) {
  const std::vector<std::vector<std::string>> commands = {
      {"-o", "json", "trigger", "shop/nightly"},
      {"job", "show", "shop/nightly", "-o", "json"},
      {"-o", "json", "project", "list"},
  };
  for (const auto& args : commands) {
    const auto outcome = dagctl(args);
    EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
    json document;
    EXPECT_NO_THROW(document = json::parse(outcome.out)) << outcome.out;  // throws on anything after it
    EXPECT_TRUE(document.is_object()) << outcome.out;
    EXPECT_EQ(outcome.err, "");
  }
}

TEST_F(CliRequestsTest, ADaemonErrorIsOneLineAndExitCode2) {
  daemon_.on("PATCH", "/api/v1/projects/prj-shop/jobs/job-nightly",
             {{"error", {{"code", "invalid_request"}, {"message", "schedule 'every day' is not a cron expression"}}}},
             400);
  const auto bad = dagctl({"job", "update", "shop/nightly", "--schedule", "every day"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "dagctl: error: schedule 'every day' is not a cron expression\n");
  EXPECT_EQ(bad.out, "");

  const auto missing = dagctl({"project", "show", "nope"});  // the fake answers 404 with its error JSON
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err.rfind("dagctl: error: ", 0), 0u) << missing.err;
  EXPECT_EQ(count_lines(missing.err), 1u) << missing.err;
  EXPECT_NE(missing.err.find("/api/v1/projects/nope"), std::string::npos) << missing.err;
}

TEST_F(CliRequestsTest, AnUnknownJobIsNamedWithTheChoices) {
  const auto outcome = dagctl({"trigger", "shop/weekly"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(count_lines(outcome.err), 1u) << outcome.err;
  EXPECT_NE(outcome.err.find("no job 'shop/weekly'"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("shop/nightly"), std::string::npos) << outcome.err;
  EXPECT_TRUE(daemon_.changes().empty());
}

TEST_F(CliRequestsTest, NoDaemonOnTheSocketSaysHowToStartOne) {
  const auto outcome = run_cli(dir_, {"--socket", dir_.file("absent.sock"), "project", "list"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("cannot reach dagctld"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("dagctl daemon start"), std::string::npos) << outcome.err;
}

}  // namespace
