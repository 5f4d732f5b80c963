// trigger and retry: the commands that start runs.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/dbt_flags.hpp"
#include "cli/resolve.hpp"
#include "cli/terminal.hpp"
#include "cli/wait.hpp"

namespace dagctl::cli {

namespace {

// --wait and the flags that shape it, shared by trigger and retry (docs/cli.md#watch-mode).
struct WaitFlags {
  bool wait = false;
  bool quiet = false;
  bool allow_empty = false;
  bool detach = false;

  WaitOptions options() const {
    WaitOptions o;
    o.quiet = quiet;
    o.allow_empty = allow_empty;
    o.on_interrupt = detach ? OnInterrupt::detach : OnInterrupt::cancel;
    return o;
  }
};

void add_wait_flags(CLI::App* cmd, WaitFlags& flags, const std::string& wait_help) {
  cmd->add_flag("--wait", flags.wait, wait_help);
  cmd->add_flag("-q,--quiet", flags.quiet, "With --wait: print nothing on success, a summary on stderr otherwise");
  cmd->add_flag("--allow-empty", flags.allow_empty, "With --wait: exit 0, not 1, when the run selected no node");
  cmd->add_flag("--detach", flags.detach,
                "With --wait: Ctrl-C stops waiting and leaves the run going (without it, Ctrl-C cancels the run)");
}

// A line on stdout, wrapped at spaces to a terminal's width, so that the watch mode's
// status line below it is never pushed into stray rows.
void print_fitted(const std::string& text) {
  std::cout.flush();
  print_wrapped(stdout, text);
}

}  // namespace

void add_trigger_commands(CLI::App& app, Context& ctx) {
  {
    auto* cmd = app.add_subcommand("trigger", "Start a run of a job (the default job of the project here)");
    auto job = std::make_shared<std::string>();
    auto flags = std::make_shared<DbtFlags>();
    auto command = std::make_shared<std::string>();
    auto wait = std::make_shared<WaitFlags>();
    cmd->add_option("JOB", *job, "Job id, PROJECT/JOB, or a job name used by one project");
    flags->add_to(cmd);
    cmd->add_option("--command", *command, "Run this command instead of the job's, e.g. 'dbt run' or 'sqlmesh run'");
    add_wait_flags(cmd, *wait,
                   "Follow the run to its end; exit 0 success, 1 failed/partial/nothing selected, 2 error/cancelled");
    cmd->callback([&ctx, cmd, job, flags, command, wait] {
      const Client client = ctx.client();
      const JobRef ref = resolve_job(client, job->empty() ? std::nullopt : std::optional(*job));
      const std::string path = "/api/v1/projects/" + url_encode(ref.project_id) + "/jobs/" + url_encode(ref.job_id);
      nlohmann::json body = nlohmann::json::object();
      const auto job_command = [&] { return text_field(client.get(path), "command"); };
      if (auto o = build_command(cmd, *flags, cmd->count("--command") > 0, *command, job_command, false)) {
        body["command_override"] = *o;
      }
      if (flags->defer_to_last_success) body["defer_to_last_success"] = true;
      const auto answer = naming_flags("command_override", flags->typed(cmd, true), [&] {
        return naming_flags("defer_to_last_success", "--defer-to-last-success",
                            [&] { return client.post(path + "/trigger", body); });
      });
      const std::string run_id = text_field(answer, "job_run_id");
      if (!wait->wait) {
        if (ctx.json()) {
          print_json(answer);
        } else {
          std::cout << fmt::format("triggered {} (run {}); follow it with: dagctl watch {}\n",
                                   text_field(answer, "job_name"), run_id, short_id(run_id));
        }
        return;
      }
      if (!ctx.json() && !wait->quiet) {
        print_fitted(fmt::format("triggered {}/{}: run {}", ref.project_name, ref.job_name, run_id));
      }
      ctx.exit_code = wait_for_run(ctx, run_id, wait->options());
    });
  }
  {
    auto* cmd = app.add_subcommand("retry", "Re-run only what failed in a run (dbt retry; a SQLMesh run: its command again)");
    auto id = std::make_shared<std::string>();
    auto wait = std::make_shared<WaitFlags>();
    cmd->add_option("RUN", *id, "The failed run's id, or 6 or more of its first characters")->required();
    add_wait_flags(cmd, *wait, "Follow the retry to its end (exit codes as for trigger --wait)");
    cmd->callback([&ctx, id, wait] {
      const Client client = ctx.client();
      const std::string source = resolve_run_id(client, *id);
      const auto answer = client.post("/api/v1/runs/" + url_encode(source) + "/retry");
      const std::string run_id = text_field(answer, "job_run_id");
      if (wait->wait) {
        if (!ctx.json() && !wait->quiet) {
          print_fitted(fmt::format("retrying as {}: run {}", text_field(answer, "job_name"), run_id));
        }
        ctx.exit_code = wait_for_run(ctx, run_id, wait->options());
      } else if (ctx.json()) {
        print_json(answer);
      } else {
        std::cout << fmt::format("retrying as {} (run {})\n", text_field(answer, "job_name"), run_id);
      }
    });
  }
}

}  // namespace dagctl::cli
