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

// Slack alerts (docs/notifications.md): the job's one slack notification.
TEST_F(CliRequestsTest, SlackAddsTheNotificationWithTheDaemonsDefaultEvents) {
  const auto outcome = dagctl({"job", "update", "shop/nightly", "--slack", "https://hooks.slack.com/services/T/B/S"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(only_change().body_json(),
            (json{{"notifications", {{{"kind", "slack"}, {"url", "https://hooks.slack.com/services/T/B/S"}}}}}));
}

TEST_F(CliRequestsTest, SlackEventsAloneSendsTheRedactedUrlBackWithTheNewEvents) {
  auto job = job_json("job-nightly", "nightly", "dbt build --select tag:nightly");
  job["notifications"] = {{{"kind", "slack"}, {"url", "https://hooks.slack.com/services/T/B/…"}, {"events", {"failed"}}}};
  daemon_.on("GET", "/api/v1/projects/prj-shop/jobs/job-nightly", job);
  const auto outcome = dagctl({"job", "update", "shop/nightly", "--slack-events", "failed,cancelled"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(only_change().body_json(),
            (json{{"notifications",
                   {{{"kind", "slack"}, {"url", "https://hooks.slack.com/services/T/B/…"}, {"events", {"failed", "cancelled"}}}}}}));
}

TEST_F(CliRequestsTest, SlackEventsWithoutASlackNotificationIsRefused) {
  const auto outcome = dagctl({"job", "update", "shop/nightly", "--slack-events", "failed"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("--slack-events needs --slack URL"), std::string::npos) << outcome.err;
  EXPECT_TRUE(daemon_.changes().empty());
}

TEST_F(CliRequestsTest, NoSlackRemovesIt) {
  EXPECT_EQ(dagctl({"job", "update", "shop/nightly", "--no-slack"}).exit_code, 0);
  EXPECT_EQ(only_change().body_json(), (json{{"notifications", json::array()}}));
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
  EXPECT_EQ(bad.err, "dagctl: error: --schedule 'every day' is not a cron expression\n");  // said in flags
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

// --- history: dagctl runs, RUN prefixes, did-you-mean, errors in flags, -o json ---------

const std::string kRunA = "7490eda2-674d-4ffa-972a-75f38dfcff6e";
const std::string kRunB = "7490eda2-9999-4ffa-972a-75f38dfcff6e";  // shares kRunA's first 8 characters
const std::string kRunC = "edadfd47-a51c-4299-bbc5-426e42939b14";

json sample_run(const std::string& id, const std::string& status, const std::string& job = "nightly") {
  return {{"id", id},
          {"job_id", "job-" + job},
          {"project_id", "prj-shop"},
          {"project_name", "shop"},
          {"job_name", job + "-manual-20261206-100000"},
          {"job_current_name", job},
          {"status", status},
          {"triggered_by", "manual"},
          {"command", "dbt build"},
          {"command_override", nullptr},
          {"retry_of", nullptr},
          {"created_at", "2026-12-06T10:00:00Z"},
          {"start_time", "2026-12-06T10:00:01Z"},
          {"end_time", "2026-12-06T10:01:16Z"},
          {"duration_seconds", 75.3},
          {"exit_code", 1},
          {"error_message", nullptr},
          {"results", json::object()}};
}

// The one GET of the runs list a command made ("" when none).
std::string runs_query(const std::vector<Recorded>& requests) {
  std::string out;
  for (const auto& r : requests) {
    if (r.method == "GET" && r.path.rfind("/api/v1/runs?", 0) == 0) {
      EXPECT_EQ(out, "") << "two list requests";
      out = r.path;
    }
  }
  return out;
}

TEST_F(CliRequestsTest, RunsSendsTheFiltersAndShowsNamesShortIdsAndTheNextPage) {
  daemon_.on("GET", "/api/v1/runs",
             {{"runs", json::array({sample_run(kRunA, "failed"), sample_run(kRunC, "error", "default")})},
              {"next", kRunC}});
  const auto outcome = dagctl({"runs", "--project", "shop", "--job", "nightly", "--status", "failed,error",
                               "--since", "24h", "--limit", "2"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(runs_query(daemon_.requests()),
            "/api/v1/runs?job_id=job-nightly&limit=2&project_id=shop&since=24h&status=failed,error");
  const auto header = outcome.out.substr(0, outcome.out.find('\n'));
  EXPECT_EQ(header.substr(0, 14), "RUN           ") << outcome.out;  // 12-character ids
  for (const char* column : {"PROJECT", "JOB", "STATUS", "BY", "CREATED", "DURATION"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column;
  }
  EXPECT_NE(outcome.out.find("7490eda2-674  shop"), std::string::npos) << outcome.out;
  EXPECT_EQ(outcome.out.find(kRunA), std::string::npos) << "the whole id in a table";
  EXPECT_NE(outcome.out.find("nightly"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("1m15s"), std::string::npos) << outcome.out;
  EXPECT_EQ(count_lines(outcome.out), 3u) << outcome.out;  // piped: no line is cut or wrapped
  EXPECT_EQ(outcome.err,
            "more: dagctl runs --project shop --job nightly --status failed,error --since 24h --limit 2 "
            "--before edadfd47-a51\n");
}

TEST_F(CliRequestsTest, RunsWithoutRunsSaysSo) {
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array()}, {"next", nullptr}});
  auto outcome = dagctl({"runs"});
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.out, "");
  EXPECT_NE(outcome.err.find("no runs yet; start one with: dagctl trigger"), std::string::npos) << outcome.err;
  outcome = dagctl({"runs", "--status", "failed"});
  EXPECT_NE(outcome.err.find("no runs match"), std::string::npos) << outcome.err;
  EXPECT_EQ(dagctl({"runs", "--since", "last week"}).exit_code, 2);
  EXPECT_EQ(dagctl({"runs", "--status", "broken"}).exit_code, 2);
}

TEST_F(CliRequestsTest, ARunIsNamedByAUniquePrefix) {
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({sample_run(kRunA, "running")})}, {"next", nullptr}});
  daemon_.on("POST", "/api/v1/runs/" + kRunA + "/cancel", sample_run(kRunA, "running"));
  const auto show = dagctl({"run", "show", "7490eda2-6"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(runs_query(daemon_.requests()), "/api/v1/runs?id_prefix=7490eda2-6&limit=10");
  EXPECT_NE(show.out.find("id:           " + kRunA), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("project:      shop"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("job:          nightly"), std::string::npos) << show.out;

  const auto cancel = dagctl({"cancel", "7490eda2"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(only_change().path, "/api/v1/runs/" + kRunA + "/cancel");
  EXPECT_NE(cancel.out.find("stopping run " + kRunA), std::string::npos) << cancel.out;
}

TEST_F(CliRequestsTest, AnAmbiguousPrefixListsTheCandidatesAndChangesNothing) {
  daemon_.on("GET", "/api/v1/runs",
             {{"runs", json::array({sample_run(kRunB, "failed"), sample_run(kRunA, "failed")})}, {"next", nullptr}});
  for (const auto& args : std::vector<std::vector<std::string>>{{"cancel", "7490eda2"}, {"retry", "7490eda2"}}) {
    const auto outcome = dagctl(args);
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_EQ(count_lines(outcome.err), 1u) << outcome.err;
    EXPECT_NE(outcome.err.find("'7490eda2' is ambiguous"), std::string::npos) << outcome.err;
    EXPECT_NE(outcome.err.find(kRunA), std::string::npos) << outcome.err;
    EXPECT_NE(outcome.err.find(kRunB), std::string::npos) << outcome.err;
  }
  EXPECT_TRUE(daemon_.changes().empty());
  // A whole id wins over the ids it is a prefix of.
  daemon_.on("GET", "/api/v1/runs",
             {{"runs", json::array({sample_run(kRunA + "-2", "failed"), sample_run(kRunA, "failed")})},
              {"next", nullptr}});
  const auto exact = dagctl({"-o", "json", "run", "show", kRunA});
  EXPECT_EQ(exact.exit_code, 0) << exact.err;
  EXPECT_EQ(json::parse(exact.out)["id"], kRunA);
}

TEST_F(CliRequestsTest, AShortOrUnknownRunIdIsRefused) {
  const auto short_id = dagctl({"run", "show", "7490e"});
  EXPECT_EQ(short_id.exit_code, 2);
  EXPECT_NE(short_id.err.find("too short: give at least 6 characters"), std::string::npos) << short_id.err;
  EXPECT_TRUE(daemon_.requests().empty());
  // A daemon that ignored id_prefix answers other runs: none of them is taken.
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({sample_run(kRunC, "failed")})}, {"next", nullptr}});
  const auto unknown = dagctl({"cancel", "7490eda2"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no run '7490eda2'"), std::string::npos) << unknown.err;
  EXPECT_TRUE(daemon_.changes().empty());
}

TEST_F(CliRequestsTest, AMistypedCommandOrFlagGetsASuggestion) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"trgger"}, "dagctl: error: unknown command 'trgger'; did you mean 'trigger'?\n"},
      {{"run", "shwo", "abcdef"}, "dagctl: error: unknown command 'shwo' for 'dagctl run'; did you mean 'show'?\n"},
      {{"job", "lsit"}, "dagctl: error: unknown command 'lsit' for 'dagctl job'; did you mean 'list'?\n"},
      {{"runs", "--limt", "5"}, "dagctl: error: unknown flag '--limt' for 'dagctl runs'; did you mean '--limit'?\n"},
      {{"deploy"}, "dagctl: error: unknown command 'deploy'; see dagctl --help\n"},
  };
  for (const auto& c : cases) {
    const auto outcome = dagctl(c.args);
    EXPECT_EQ(outcome.exit_code, 2) << c.args[0];
    EXPECT_EQ(outcome.err, c.err);
    EXPECT_EQ(outcome.out, "");
  }
  EXPECT_TRUE(daemon_.requests().empty());
}

TEST_F(CliRequestsTest, ABareCommandPrintsItsHelp) {
  const auto bare = dagctl({});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.out.find("Subcommands:"), std::string::npos) << bare.out;
  EXPECT_NE(bare.out.find("trigger"), std::string::npos) << bare.out;
  EXPECT_EQ(bare.err, "");
  const auto group = dagctl({"job"});
  EXPECT_EQ(group.exit_code, 2);
  EXPECT_NE(group.out.find("update"), std::string::npos) << group.out;
  // A missing argument still names the command to ask for help.
  const auto missing = dagctl({"run", "show"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("see dagctl run show --help"), std::string::npos) << missing.err;
}

TEST_F(CliRequestsTest, JobErrorsNameTheFlags) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"field 'timeout_seconds' must be between 1 and 604800 (a week), or null for none",
       "--timeout must be between 1 and 604800 (a week), or null for none"},
      {"webhook_events may hold only completed, failed, partial and cancelled; got 'x'",
       "--webhook-events may hold only completed, failed, partial and cancelled; got 'x'"},
      {"command: the character ';' is not allowed (no shell runs here; pass one dbt command)",
       "--command: the character ';' is not allowed (no shell runs here; pass one dbt command)"},
      {"job name 'a b' is not valid: use 1-64 letters", "--name 'a b' is not valid: use 1-64 letters"},
      {"webhook_auth of type basic needs 'password'", "--webhook-auth of type basic needs 'password'"},
  };
  for (const auto& [daemon_says, cli_says] : cases) {
    daemon_.on("PATCH", "/api/v1/projects/prj-shop/jobs/job-nightly",
               {{"error", {{"code", "invalid_request"}, {"message", daemon_says}}}}, 400);
    const auto outcome = dagctl({"job", "update", "shop/nightly", "--enabled", "true"});
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_EQ(outcome.err, "dagctl: error: " + cli_says + "\n");
  }
  // A message that names no field, about the one flag given, gets that flag in front.
  daemon_.on("PATCH", "/api/v1/projects/prj-shop/jobs/job-nightly",
             {{"error", {{"code", "invalid_request"}, {"message", "unknown time zone 'Mars/Base'"}}}}, 400);
  EXPECT_EQ(dagctl({"job", "update", "shop/nightly", "--timezone", "Mars/Base"}).err,
            "dagctl: error: --timezone: unknown time zone 'Mars/Base'\n");
  EXPECT_EQ(dagctl({"job", "update", "shop/nightly", "--timezone", "Mars/Base", "--enabled", "true"}).err,
            "dagctl: error: unknown time zone 'Mars/Base'\n");
}

TEST_F(CliRequestsTest, EveryCommandPrintsOneJsonDocument) {
  const std::string job = "/api/v1/projects/prj-shop/jobs/job-nightly";
  const json shop = {{"id", "prj-shop"}, {"name", "shop"}, {"path", "/home/ana/shop"}, {"jobs", json::array()}};
  const json delivery = {{"id", "dlv_1"}, {"event", "job.test"}, {"status", "pending"}, {"url", "http://x/"},
                         {"attempts", json::array()}, {"attempt_count", 0}, {"run_id", nullptr}};
  const json token = {{"id", "tok_1"}, {"name", "ci"}, {"scope", "read"}, {"token", "dctl_x"}, {"expires_at", nullptr}};
  daemon_.on("GET", "/api/v1/daemon", {{"version", "test"}});
  daemon_.on("GET", "/api/v1/org", {{"id", "org_1"}, {"name", "default"}});
  daemon_.on("GET", "/api/v1/projects/shop", shop);
  daemon_.on("POST", "/api/v1/projects", shop, 201);
  daemon_.on("DELETE", "/api/v1/projects/shop", nullptr, 204);
  daemon_.on("GET", "/api/v1/projects/prj-shop/jobs", {{"jobs", json::array({job_json("job-nightly", "nightly", "dbt build")})}});
  daemon_.on("POST", "/api/v1/projects/prj-shop/jobs", job_json("job-weekly", "weekly", "dbt build"), 201);
  daemon_.on("DELETE", job, nullptr, 204);
  daemon_.on("GET", job + "/webhook/secret", {{"secret", "whsec_x"}});
  daemon_.on("GET", job + "/deliveries", {{"deliveries", json::array({delivery})}});
  daemon_.on("POST", job + "/webhook/test", delivery);
  daemon_.on("POST", "/api/v1/deliveries/dlv_1/redeliver", delivery);
  daemon_.on("GET", "/api/v1/tokens", {{"tokens", json::array({token})}});
  daemon_.on("POST", "/api/v1/tokens", token, 201);
  daemon_.on("DELETE", "/api/v1/tokens/tok_1", token);
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({sample_run(kRunA, "failed")})}, {"next", nullptr}});
  daemon_.on("POST", "/api/v1/runs/" + kRunA + "/cancel", sample_run(kRunA, "cancelled"));
  daemon_.on("POST", "/api/v1/runs/" + kRunA + "/retry",
             {{"job_run_id", kRunC}, {"job_id", "job-nightly"}, {"job_name", "nightly-retry-20261206-100000"}});
  const std::vector<std::vector<std::string>> commands = {
      {"status"},
      {"org", "show"},
      {"project", "add", dir_.file("shop")},
      {"project", "list"},
      {"project", "show", "shop"},
      {"project", "remove", "shop", "--yes"},
      {"job", "list"},
      {"job", "show", "shop/nightly"},
      {"job", "create", "shop", "--name", "weekly", "--command", "dbt build"},
      {"job", "update", "shop/nightly", "--enabled", "false"},
      {"job", "delete", "shop/nightly"},
      {"trigger", "shop/nightly"},
      {"retry", "7490eda2"},
      {"runs"},
      {"run", "show", "7490eda2"},
      {"cancel", "7490eda2"},
      {"token", "create", "--name", "ci"},
      {"token", "list"},
      {"token", "revoke", "tok_1"},
      {"webhook", "secret", "shop/nightly"},
      {"webhook", "deliveries", "shop/nightly"},
      {"webhook", "redeliver", "dlv_1"},
      {"webhook", "test", "shop/nightly"},
  };
  for (auto args : commands) {
    const std::string name = args[0] + (args.size() > 1 ? " " + args[1] : "");
    args.insert(args.begin(), {"-o", "json"});
    const auto outcome = dagctl(args);
    EXPECT_EQ(outcome.exit_code, 0) << name << ": " << outcome.err;
    json document;
    EXPECT_NO_THROW(document = json::parse(outcome.out)) << name << ": " << outcome.out;
    EXPECT_TRUE(document.is_object()) << name << ": " << outcome.out;
    EXPECT_EQ(outcome.err, "") << name;
  }
}

// --- issue 14: runs --trigger/--until, run show --nodes, run artifacts, secret --rotate ---

TEST_F(CliRequestsTest, RunsSendsTriggerAndUntilAndRepeatsThemForTheNextPage) {
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({sample_run(kRunA, "failed")})}, {"next", kRunA}});
  const auto outcome = dagctl({"runs", "--trigger", "manual,schedule", "--until", "2h", "--limit", "1"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(runs_query(daemon_.requests()), "/api/v1/runs?limit=1&triggered_by=manual,schedule&until=2h");
  EXPECT_EQ(outcome.err, "more: dagctl runs --trigger manual,schedule --until 2h --limit 1 --before 7490eda2-674\n");
  const auto wrong = dagctl({"runs", "--trigger", "cron"});
  EXPECT_EQ(wrong.exit_code, 2);
  const auto until = dagctl({"runs", "--until", "soon"});
  EXPECT_EQ(until.exit_code, 2);
  EXPECT_NE(until.err.find("--until takes"), std::string::npos) << until.err;
  EXPECT_EQ(dagctl({"runs", "--until", ""}).exit_code, 2);
}

json nodes_answer() {
  const auto node = [](const std::string& name, const std::string& status, json seconds, json message) {
    return json{{"unique_id", "model.shop." + name}, {"name", name}, {"resource_type", "model"},
                {"status", status}, {"execution_time", seconds}, {"thread", "Thread-1"}, {"message", message}};
  };
  return {{"run_id", kRunA},
          {"nodes", json::array({node("stg_books", "success", 0.4, "OK"),
                                 node("fct_sales", "error", 1.5,
                                      "Runtime Error in model fct_sales (models/fct_sales.sql)\n  Binder Error: x")})}};
}

TEST_F(CliRequestsTest, RunShowNodesPrintsTheNodeTable) {
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({sample_run(kRunA, "partial")})}, {"next", nullptr}});
  daemon_.on("GET", "/api/v1/runs/" + kRunA + "/nodes", nodes_answer());
  const auto table = dagctl({"run", "show", "7490eda2", "--nodes"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(count_lines(table.out), 3u) << table.out;
  EXPECT_EQ(table.out.rfind("STATUS", 0), 0u) << table.out;
  // dbt's heading ("Runtime Error in model ...") gives way to the cause on the next line.
  EXPECT_NE(table.out.find("error    fct_sales  1.5s      Thread-1  Binder Error: x\n"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("Runtime Error"), std::string::npos) << table.out;
  const auto filtered = dagctl({"run", "show", "7490eda2", "--nodes", "--status", "error,fail"});
  EXPECT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_EQ(daemon_.requests().back().path, "/api/v1/runs/" + kRunA + "/nodes?status=error,fail");
  const auto as_json = dagctl({"-o", "json", "run", "show", "7490eda2", "--nodes"});
  EXPECT_EQ(json::parse(as_json.out), nodes_answer());
  EXPECT_EQ(dagctl({"run", "show", "7490eda2", "--status", "error"}).exit_code, 2);  // --status needs --nodes
  EXPECT_EQ(dagctl({"run", "show", "7490eda2", "--nodes", "--status", "broken"}).exit_code, 2);
}

TEST_F(CliRequestsTest, RunShowAddsNodeCountsAndTheSlowestNodesWhenTheRunHasThem) {
  auto run = sample_run(kRunA, "partial");
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({run})}, {"next", nullptr}});
  EXPECT_EQ(dagctl({"run", "show", "7490eda2"}).out.find("nodes:"), std::string::npos);  // an older daemon
  run["node_counts"] = {{"success", 20}, {"error", 1}};
  run["slowest_nodes"] = json::array({{{"unique_id", "model.shop.fct_sales"}, {"name", "fct_sales"},
                                       {"resource_type", "model"}, {"execution_time", 3.5}}});
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({run})}, {"next", nullptr}});
  const auto shown = dagctl({"run", "show", "7490eda2"});
  EXPECT_NE(shown.out.find("nodes:        21 (20 success, 1 error)\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("slowest:      fct_sales 3.5s\n"), std::string::npos) << shown.out;
}

TEST_F(CliRequestsTest, RunArtifactsListsAndWritesOneOut) {
  const std::string base = "/api/v1/runs/" + kRunA + "/artifacts";
  daemon_.on("GET", "/api/v1/runs", {{"runs", json::array({sample_run(kRunA, "success")})}, {"next", nullptr}});
  daemon_.on("GET", base,
             {{"run_id", kRunA},
              {"artifacts", json::array({{{"name", "manifest.json"}, {"size", 482113}, {"modified_at", "2026-12-06T10:01:00Z"}},
                                         {{"name", "run_results.json"}, {"size", 900}, {"modified_at", "2026-12-06T10:01:16Z"}}})}});
  const json manifest = {{"metadata", {{"dbt_version", "1.11.0"}}}, {"nodes", json::object()}};
  daemon_.on("GET", base + "/manifest.json", manifest);
  daemon_.on("GET", base + "/compiled/shop/models/x.sql", "select 1");

  const auto list = dagctl({"run", "artifacts", "7490eda2"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.rfind("NAME", 0), 0u) << list.out;
  EXPECT_NE(list.out.find("manifest.json     470.8 KiB"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("run_results.json  900 B"), std::string::npos) << list.out;

  const auto out = dagctl({"run", "artifacts", "7490eda2", "manifest.json"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, manifest.dump());
  EXPECT_EQ(dagctl({"run", "artifacts", "7490eda2", "compiled/shop/models/x.sql", "-O", "-"}).out, "\"select 1\"");

  const std::string file = dir_.file("m.json");
  auto to_file = dagctl({"run", "artifacts", "7490eda2", "manifest.json", "-O", file});
  EXPECT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(read_all(file), manifest.dump());
  EXPECT_EQ(to_file.out, "");
  { std::ofstream(file) << "mine"; }
  to_file = dagctl({"run", "artifacts", "7490eda2", "manifest.json", "-O", file});
  EXPECT_EQ(to_file.exit_code, 2);
  EXPECT_NE(to_file.err.find("--force"), std::string::npos) << to_file.err;
  EXPECT_EQ(read_all(file), "mine");
  EXPECT_EQ(dagctl({"run", "artifacts", "7490eda2", "manifest.json", "-O", file, "--force"}).exit_code, 0);
  EXPECT_EQ(read_all(file), manifest.dump());

  // A missing artifact: exit 1, one line that names what the run has, no file left.
  const auto missing = dagctl({"run", "artifacts", "7490eda2", "catalog.json", "-O", dir_.file("c.json")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "dagctl: error: run " + kRunA +
                             " has no artifact catalog.json; it has: manifest.json, run_results.json\n");
  EXPECT_FALSE(std::ifstream(dir_.file("c.json")).good());
  EXPECT_EQ(dagctl({"run", "artifacts", "7490eda2", "-O", file}).exit_code, 2);  // -O needs a NAME
  EXPECT_EQ(json::parse(dagctl({"-o", "json", "run", "artifacts", "7490eda2"}).out)["artifacts"].size(), 2u);
}

TEST_F(CliRequestsTest, WebhookSecretRotatePostsAndPrintsTheNewSecret) {
  const std::string job = "/api/v1/projects/prj-shop/jobs/job-nightly";
  daemon_.on("POST", job + "/webhook/secret/rotate", {{"secret", "whsec_new"}});
  const auto text = dagctl({"webhook", "secret", "shop/nightly", "--rotate"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(only_change().path, job + "/webhook/secret/rotate");
  EXPECT_EQ(text.out, "whsec_new\n");
  EXPECT_NE(text.err.find("new secret"), std::string::npos) << text.err;
  const auto as_json = dagctl({"-o", "json", "webhook", "secret", "shop/nightly", "--rotate"});
  EXPECT_EQ(json::parse(as_json.out), (json{{"secret", "whsec_new"}}));
  EXPECT_EQ(as_json.err, "");
}

}  // namespace
