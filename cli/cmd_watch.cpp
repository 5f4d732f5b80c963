// watch: follow a run that is already queued or running (docs/cli.md#watch-mode).
#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "cli/wait.hpp"

namespace dagctl::cli {

void add_watch_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "watch", "Follow a run to its end; Ctrl-C stops following (exit codes as for trigger --wait)");
  auto id = std::make_shared<std::string>();
  auto allow_empty = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("RUN", *id, "Run id, or 6 or more of its first characters")->required();
  cmd->add_flag("--allow-empty", *allow_empty, "Exit 0, not 1, when the run selected no node");
  cmd->add_flag("-q,--quiet", *quiet, "Print nothing on success, a summary on stderr otherwise");
  cmd->callback([&ctx, id, allow_empty, quiet] {
    WaitOptions options;
    options.quiet = *quiet;
    options.allow_empty = *allow_empty;
    options.on_interrupt = OnInterrupt::stop_following;
    ctx.exit_code = wait_for_run(ctx, resolve_run_id(ctx.client(), *id), options);
  });
}

}  // namespace dagctl::cli
