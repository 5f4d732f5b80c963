// runs, run show, logs, cancel: reading and stopping runs.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/plan_lines.hpp"
#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "cli/run_nodes.hpp"
#include "cli/wait.hpp"

namespace dagctl::cli {

namespace {

void print_run(const nlohmann::json& run) {
  auto line = [](const std::string& label, const std::string& value) {
    std::cout << fmt::format("{:<13} {}\n", label + ":", value);
  };
  line("id", text_field(run, "id"));
  line("project", text_field(run, "project_name"));
  line("job", run_job_label(run));
  line("name", text_field(run, "job_name"));
  const std::vector<std::pair<const char*, const char*>> fields = {
      {"status", "status"},       {"triggered by", "triggered_by"}, {"command", "command"},
      {"retry of", "retry_of"},   {"commit", "git_commit"},         {"created", "created_at"},
      {"started", "start_time"},  {"ended", "end_time"},            {"exit code", "exit_code"},
      {"error", "error_message"}};
  for (const auto& [label, key] : fields) {
    // Only a retry has a source, only a project from git's run a commit.
    if ((std::string(key) == "retry_of" || std::string(key) == "git_commit") && field(run, key).is_null()) continue;
    line(label, text_field(run, key));
  }
  line("duration", format_duration(field(run, "duration_seconds")));
  const auto& progress = field(run, "progress");
  if (progress.is_object()) {
    const std::string phase = text_field(progress, "phase");
    line("progress", fmt::format("{}{}/{} nodes", phase == "-" ? "" : phase + ", ", text_field(progress, "done"),
                                 text_field(progress, "total")));
    if (field(progress, "waiting_for").is_string()) line("waiting for", text_field(progress, "waiting_for"));
  }
  const auto& results = field(run, "results");
  if (results.is_object() && !results.empty()) line("results", results.dump());
  // Labels take 14 columns; the last column stays free so the terminal never wraps.
  std::optional<int> value_width;
  if (const auto columns = terminal_width()) value_width = std::max(20, static_cast<int>(*columns) - 15);
  for (const auto& [label, value] : node_summary(run, value_width)) line(label, value);
  for (const auto& [label, value] : plan_lines(field(run, "plan"), value_width)) line(label, value);
}

// run show --nodes: the run's node table (docs/cli.md, Run details).
void print_nodes(const nlohmann::json& answer, const std::string& run_id, bool filtered) {
  const auto lines = node_table(answer, terminal_width());
  if (lines.empty()) {
    std::cerr << (filtered ? fmt::format("no nodes of run {} match; leave out --status to see all\n", run_id)
                           : fmt::format("run {} has no node records yet (no node has started)\n", run_id));
  }
  for (const auto& l : lines) std::cout << l << "\n";
}

// What `dagctl runs` was asked for, to build the query and to repeat it in hints.
struct RunsArgs {
  std::string project, job, since, until, before;
  std::vector<std::string> statuses, triggers;
  int limit = 20;

  bool filtered() const {
    return !project.empty() || !job.empty() || !statuses.empty() || !since.empty() || !until.empty() ||
           !triggers.empty();
  }

  // The same command with `before` set: the next page.
  std::string command_for_page(const std::string& before_id) const {
    std::string out = "dagctl runs";
    if (!project.empty()) out += " --project " + project;
    if (!job.empty()) out += " --job " + job;
    if (!statuses.empty()) out += " --status " + join(statuses);
    if (!triggers.empty()) out += " --trigger " + join(triggers);
    if (!since.empty()) out += " --since " + since;
    if (!until.empty()) out += " --until " + until;
    if (limit != 20) out += " --limit " + std::to_string(limit);
    return out + " --before " + before_id;
  }

  static std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : ",") + w;
    return out;
  }
};

std::string runs_query(const Client& client, const RunsArgs& a) {
  std::string query = "?limit=" + std::to_string(a.limit);
  if (!a.job.empty()) {
    // --project shop --job nightly means shop/nightly.
    const bool bare = a.job.find('/') == std::string::npos && !a.project.empty();
    query += "&job_id=" + url_encode(resolve_job(client, bare ? a.project + "/" + a.job : a.job).job_id);
  }
  if (!a.project.empty()) query += "&project_id=" + url_encode(a.project);
  if (!a.statuses.empty()) query += "&status=" + url_encode(RunsArgs::join(a.statuses));
  if (!a.triggers.empty()) query += "&triggered_by=" + url_encode(RunsArgs::join(a.triggers));
  if (!a.since.empty()) query += "&since=" + url_encode(resolve_since(a.since, common::now()));
  if (!a.until.empty()) query += "&until=" + url_encode(resolve_since(a.until, common::now(), "--until"));
  if (!a.before.empty()) query += "&before=" + url_encode(resolve_run_id(client, a.before));
  return query;
}

void print_runs(const nlohmann::json& answer, const RunsArgs& a) {
  const auto& runs = field(answer, "runs");
  if (runs.empty()) {
    if (!a.before.empty()) {
      std::cerr << "no older runs" << (a.filtered() ? " match" : "") << "\n";
    } else if (a.filtered()) {
      std::cerr << "no runs match; leave out --project, --job, --status, --trigger, --since or --until to see more\n";
    } else {
      std::cerr << "no runs yet; start one with: dagctl trigger PROJECT/JOB (dagctl job list shows the jobs)\n";
    }
    return;
  }
  const auto now = common::now();
  std::vector<std::vector<std::string>> rows = {{"RUN", "PROJECT", "JOB", "STATUS", "BY", "CREATED", "DURATION"}};
  for (const auto& r : runs) {
    rows.push_back({short_id(text_field(r, "id")), text_field(r, "project_name"), run_job_label(r),
                    text_field(r, "status"), text_field(r, "triggered_by"), format_when(field(r, "created_at"), now),
                    format_duration(field(r, "duration_seconds"))});
  }
  print_table(rows, {1, 2});
  const auto& next = field(answer, "next");
  if (next.is_string()) std::cerr << "more: " << a.command_for_page(short_id(next.get<std::string>())) << "\n";
}

}  // namespace

void add_run_commands(CLI::App& app, Context& ctx) {
  {
    auto* cmd = app.add_subcommand("runs", "Run history, newest first");
    auto a = std::make_shared<RunsArgs>();
    cmd->add_option("--project", a->project, "Only runs of this project (id or name)");
    cmd->add_option("--job", a->job, "Only runs of this job (id, PROJECT/JOB, or a name with --project)");
    cmd->add_option("--status", a->statuses, "Only runs with these statuses: a comma list, e.g. failed,error")
        ->delimiter(',')
        ->check(CLI::IsMember({"queued", "running", "success", "partial", "failed", "error", "cancelled"}));
    cmd->add_option("--since", a->since,
                    "Only runs created since: an age (90m, 24h, 7d, 2w), a local date or time "
                    "(2026-12-01, '2026-12-01 14:00') or RFC 3339");
    cmd->add_option("--until", a->until,
                    "Only runs created before: an age (2h: created over 2 hours ago), a local date or time, "
                    "or RFC 3339");
    cmd->add_option("--trigger", a->triggers, "Only runs started this way: a comma list of manual, schedule, retry")
        ->delimiter(',')
        ->check(CLI::IsMember({"manual", "schedule", "retry"}));
    cmd->add_option("--limit", a->limit, "How many (1-1000, default 20)")->check(CLI::Range(1, 1000));
    cmd->add_option("--before", a->before, "Only runs older than this run (the page after it)");
    cmd->callback([&ctx, cmd, a] {
      // `--since "$UNSET"` in a script must not quietly list everything.
      for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"--project", &a->project},
                                        {"--job", &a->job}, {"--since", &a->since}, {"--until", &a->until},
                                        {"--before", &a->before}}) {
        if (cmd->count(flag) > 0 && value->find_first_not_of(" \t") == std::string::npos) {
          throw CliError(std::string(flag) + " is empty; give it a value or leave it out");
        }
      }
      const Client client = ctx.client();
      const auto answer = client.get("/api/v1/runs" + runs_query(client, *a));
      ctx.json() ? print_json(answer) : print_runs(answer, *a);
    });
  }
  {
    auto* group = app.add_subcommand("run", "One run");
    group->require_subcommand(1);
    auto* cmd = group->add_subcommand("show", "A run's status, times, command and results");
    auto id = std::make_shared<std::string>();
    auto nodes = std::make_shared<bool>(false);
    auto statuses = std::make_shared<std::vector<std::string>>();
    cmd->add_option("RUN", *id, "Run id, or 6 or more of its first characters")->required();
    cmd->add_flag("--nodes", *nodes, "The run's dbt nodes: status, duration, thread and message's first line");
    cmd->add_option("--status", *statuses, "With --nodes: only nodes with these dbt statuses, e.g. error,fail")
        ->delimiter(',')
        ->check(CLI::IsMember({"success", "error", "fail", "warn", "pass", "skipped", "no-op", "running", "interrupted"}));
    cmd->callback([&ctx, cmd, id, nodes, statuses] {
      if (!*nodes) {
        if (cmd->count("--status") > 0) throw CliError("--status filters nodes: use it with --nodes");
        const auto run = resolve_run(ctx.client(), *id);
        return ctx.json() ? print_json(run) : print_run(run);
      }
      const Client client = ctx.client();
      const std::string run_id = resolve_run_id(client, *id);
      std::string path = "/api/v1/runs/" + url_encode(run_id) + "/nodes";
      if (!statuses->empty()) path += "?status=" + url_encode(RunsArgs::join(*statuses));
      const auto answer = client.get(path);
      ctx.json() ? print_json(answer) : print_nodes(answer, run_id, !statuses->empty());
    });
    add_run_artifacts_command(*group, ctx);
  }
  {
    auto* cmd = app.add_subcommand("logs", "A run's output (dbt's or SQLMesh's console)");
    auto id = std::make_shared<std::string>();
    auto follow = std::make_shared<bool>(false);
    cmd->add_option("RUN", *id, "Run id, or 6 or more of its first characters")->required();
    cmd->add_flag("-f,--follow", *follow, "Keep printing until the run ends (Ctrl-C stops following)");
    cmd->callback([&ctx, id, follow] {
      const std::string run_id = resolve_run_id(ctx.client(), *id);
      // -o json: one document at the end, {"run_id", "log"} (docs/cli.md).
      std::string log;
      const auto collect = [&log](std::string_view chunk) { log.append(chunk); };
      if (*follow) {
        FollowOptions options;
        options.whole_log = true;
        options.on_interrupt = OnInterrupt::stop_following;
        options.until_ended = false;
        if (ctx.json()) options.collect = collect;
        if (!follow_run(ctx, run_id, options)) {
          ctx.exit_code = kExitInterrupted;
          return;
        }
      } else if (ctx.json()) {
        ctx.client().stream("/api/v1/runs/" + url_encode(run_id) + "/logs", collect);
      } else {
        ctx.client().stream("/api/v1/runs/" + url_encode(run_id) + "/logs", [](std::string_view chunk) {
          std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          std::cout.flush();
        });
      }
      if (ctx.json()) print_json({{"run_id", run_id}, {"log", log}});
    });
  }
  {
    auto* cmd = app.add_subcommand("cancel", "Cancel a queued or running run (dbt or sqlmesh gets SIGINT first)");
    auto id = std::make_shared<std::string>();
    cmd->add_option("RUN", *id, "Run id, or 6 or more of its first characters")->required();
    cmd->callback([&ctx, id] {
      const Client client = ctx.client();
      const std::string run_id = resolve_run_id(client, *id);
      const auto run = client.post("/api/v1/runs/" + url_encode(run_id) + "/cancel");
      if (ctx.json()) return print_json(run);
      const std::string status = text_field(run, "status");
      std::cout << (status == "running" ? fmt::format("stopping run {}: it was asked to cancel (SIGINT)\n", run_id)
                                        : fmt::format("run {} is {}\n", run_id, status));
    });
  }
}

}  // namespace dagctl::cli
