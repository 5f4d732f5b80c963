// runs, run show, logs, cancel: reading and stopping runs.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "cli/wait.hpp"

namespace dagctl::cli {

namespace {

void print_run(const nlohmann::json& run) {
  const std::vector<std::pair<const char*, const char*>> fields = {
      {"id", "id"},          {"job", "job_name"},           {"status", "status"},
      {"triggered by", "triggered_by"}, {"command", "command"}, {"created", "created_at"},
      {"started", "start_time"}, {"ended", "end_time"},     {"exit code", "exit_code"},
      {"error", "error_message"}};
  for (const auto& [label, key] : fields) {
    std::cout << fmt::format("{:<13} {}\n", std::string(label) + ":", text_of(run[key]));
  }
  std::cout << fmt::format("{:<13} {}\n", "duration:", format_duration(run["duration_seconds"]));
  if (run.contains("progress")) {
    std::cout << fmt::format("{:<13} {}/{} nodes\n", "progress:", run["progress"]["done"].dump(),
                             run["progress"]["total"].dump());
  }
  if (!run["results"].empty()) std::cout << fmt::format("{:<13} {}\n", "results:", run["results"].dump());
}

}  // namespace

void add_run_commands(CLI::App& app, Context& ctx) {
  {
    auto* cmd = app.add_subcommand("runs", "Run history, newest first");
    auto job = std::make_shared<std::string>();
    auto status = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(20);
    cmd->add_option("--job", *job, "Only runs of this job");
    cmd->add_option("--status", *status, "Only runs with this status")
        ->check(CLI::IsMember({"queued", "running", "success", "partial", "failed", "error", "cancelled"}));
    cmd->add_option("--limit", *limit, "How many (1-1000)")->check(CLI::Range(1, 1000));
    cmd->callback([&ctx, job, status, limit] {
      const Client client = ctx.client();
      std::string query = "?limit=" + std::to_string(*limit);
      if (!job->empty()) query += "&job_id=" + url_encode(resolve_job(client, *job).job_id);
      if (!status->empty()) query += "&status=" + url_encode(*status);
      const auto answer = client.get("/api/v1/runs" + query);
      if (ctx.json()) return print_json(answer);
      std::vector<std::vector<std::string>> rows = {{"RUN", "JOB", "STATUS", "BY", "CREATED", "DURATION"}};
      for (const auto& r : answer["runs"]) {
        rows.push_back({r["id"], r["job_name"], r["status"], r["triggered_by"], r["created_at"],
                        format_duration(r["duration_seconds"])});
      }
      print_table(rows);
    });
  }
  {
    auto* group = app.add_subcommand("run", "One run");
    group->require_subcommand(1);
    auto* cmd = group->add_subcommand("show", "A run's status, times, command and results");
    auto id = std::make_shared<std::string>();
    cmd->add_option("RUN", *id, "Run id")->required();
    cmd->callback([&ctx, id] {
      const auto run = ctx.client().get("/api/v1/runs/" + url_encode(*id));
      ctx.json() ? print_json(run) : print_run(run);
    });
  }
  {
    auto* cmd = app.add_subcommand("logs", "A run's dbt output");
    auto id = std::make_shared<std::string>();
    auto follow = std::make_shared<bool>(false);
    cmd->add_option("RUN", *id, "Run id")->required();
    cmd->add_flag("-f,--follow", *follow, "Keep printing until the run ends (Ctrl-C stops following)");
    cmd->callback([&ctx, id, follow] {
      // -o json: one document at the end, {"run_id", "log"} (docs/cli.md).
      std::string log;
      const auto collect = [&log](std::string_view chunk) { log.append(chunk); };
      if (*follow) {
        FollowOptions options;
        options.whole_log = true;
        options.on_interrupt = OnInterrupt::stop_following;
        options.until_ended = false;
        if (ctx.json()) options.collect = collect;
        if (!follow_run(ctx, *id, options)) {
          ctx.exit_code = kExitInterrupted;
          return;
        }
      } else if (ctx.json()) {
        ctx.client().stream("/api/v1/runs/" + url_encode(*id) + "/logs", collect);
      } else {
        ctx.client().stream("/api/v1/runs/" + url_encode(*id) + "/logs", [](std::string_view chunk) {
          std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          std::cout.flush();
        });
      }
      if (ctx.json()) print_json({{"run_id", *id}, {"log", log}});
    });
  }
  {
    auto* cmd = app.add_subcommand("cancel", "Cancel a queued or running run (dbt gets SIGINT first)");
    auto id = std::make_shared<std::string>();
    cmd->add_option("RUN", *id, "Run id")->required();
    cmd->callback([&ctx, id] {
      const auto run = ctx.client().post("/api/v1/runs/" + url_encode(*id) + "/cancel");
      if (ctx.json()) return print_json(run);
      const std::string status = run["status"];
      std::cout << (status == "running" ? fmt::format("stopping run {}: dbt was asked to cancel\n", *id)
                                        : fmt::format("run {} is {}\n", *id, status));
    });
  }
}

}  // namespace dagctl::cli
