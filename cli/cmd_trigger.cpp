// trigger and retry: the commands that start runs.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/dbt_flags.hpp"
#include "cli/resolve.hpp"
#include "cli/wait.hpp"

namespace dagctl::cli {

void add_trigger_commands(CLI::App& app, Context& ctx) {
  {
    auto* cmd = app.add_subcommand("trigger", "Start a run of a job (the default job of the project here)");
    auto job = std::make_shared<std::string>();
    auto flags = std::make_shared<DbtFlags>();
    auto command = std::make_shared<std::string>();
    auto wait = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    cmd->add_option("JOB", *job, "Job id, PROJECT/JOB, or a job name used by one project");
    flags->add_to(cmd);
    cmd->add_option("--command", *command, "Run this dbt command instead of the job's, e.g. 'dbt run'");
    cmd->add_flag("--wait", *wait, "Follow the run to its end; exit 0 success, 1 failed/partial, 2 error/cancelled");
    cmd->add_flag("-q,--quiet", *quiet, "With --wait: print nothing on success, a summary on stderr otherwise");
    cmd->callback([&ctx, cmd, job, flags, command, wait, quiet] {
      const Client client = ctx.client();
      const JobRef ref = resolve_job(client, job->empty() ? std::nullopt : std::optional(*job));
      const std::string path = "/api/v1/projects/" + url_encode(ref.project_id) + "/jobs/" + url_encode(ref.job_id);
      nlohmann::json body = nlohmann::json::object();
      const auto job_command = [&] { return client.get(path)["command"].get<std::string>(); };
      if (auto o = build_command(cmd, *flags, cmd->count("--command") > 0, *command, job_command, false)) {
        body["command_override"] = *o;
      }
      if (flags->defer_to_last_success) body["defer_to_last_success"] = true;
      const auto answer = naming_flags("command_override", flags->typed(cmd, true), [&] {
        return naming_flags("defer_to_last_success", "--defer-to-last-success",
                            [&] { return client.post(path + "/trigger", body); });
      });
      const std::string run_id = answer["job_run_id"];
      if (!*wait) {
        if (ctx.json()) {
          print_json(answer);
        } else {
          std::cout << fmt::format("triggered {} (run {}); follow it with: dagctl logs -f {}\n",
                                   answer["job_name"].get<std::string>(), run_id, run_id);
        }
        return;
      }
      if (!ctx.json() && !*quiet) {
        std::cout << fmt::format("triggered {}/{}: run {}", ref.project_name, ref.job_name, run_id) << std::endl;
      }
      ctx.exit_code = wait_for_run(ctx, run_id, {*quiet});
    });
  }
  {
    auto* cmd = app.add_subcommand("retry", "Re-run only what failed in a run (dbt retry)");
    auto id = std::make_shared<std::string>();
    auto wait = std::make_shared<bool>(false);
    cmd->add_option("RUN", *id, "The failed run's id")->required();
    cmd->add_flag("--wait", *wait, "Follow the retry to its end (exit codes as for trigger --wait)");
    cmd->callback([&ctx, id, wait] {
      const auto answer = ctx.client().post("/api/v1/runs/" + url_encode(*id) + "/retry");
      const std::string run_id = answer["job_run_id"];
      if (*wait) {
        ctx.exit_code = wait_for_run(ctx, run_id, {});
      } else if (ctx.json()) {
        print_json(answer);
      } else {
        std::cout << fmt::format("retrying as {} (run {})\n", answer["job_name"].get<std::string>(), run_id);
      }
    });
  }
}

}  // namespace dagctl::cli
