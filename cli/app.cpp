#include "cli/app.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.hpp"
#include "common/paths.hpp"

namespace dagctl::cli {

int run(int argc, char** argv) {
  Context ctx;
  ctx.socket = common::default_socket_path();  // --socket or DAGCTL_SOCKET replace it
  CLI::App app("dagctl: trigger and follow dbt runs through the dagctld daemon", "dagctl");
  app.set_version_flag("--version", DAGCTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.add_option("--socket", ctx.socket, "dagctld's Unix socket")->envname("DAGCTL_SOCKET");
  app.add_option("-o,--output", ctx.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_daemon_commands(app, ctx);
  add_project_commands(app, ctx);
  add_job_commands(app, ctx);
  add_trigger_commands(app, ctx);
  add_ls_commands(app, ctx);
  add_run_commands(app, ctx);
  add_token_commands(app, ctx);
  add_webhook_commands(app, ctx);
  try {
    app.parse(argc, argv);
    return ctx.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "dagctl: error: %s; see dagctl --help\n", e.what());
    return 2;
  } catch (const CliError& e) {
    std::fprintf(stderr, "dagctl: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dagctl: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace dagctl::cli
