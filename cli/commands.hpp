// Each add_*_commands registers one group of subcommands on the app (docs/cli.md).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace dagctl::cli {

void add_daemon_commands(CLI::App& app, Context& ctx);   // status, daemon start|stop
void add_project_commands(CLI::App& app, Context& ctx);  // project add|list|show|update|remove
void add_job_commands(CLI::App& app, Context& ctx);      // job list|show|create|update|delete
void add_trigger_commands(CLI::App& app, Context& ctx);  // trigger, retry
void add_ls_commands(CLI::App& app, Context& ctx);       // ls
void add_run_commands(CLI::App& app, Context& ctx);      // runs, run show, logs, cancel
void add_watch_command(CLI::App& app, Context& ctx);     // watch
void add_token_commands(CLI::App& app, Context& ctx);    // token create|list|revoke
void add_webhook_commands(CLI::App& app, Context& ctx);  // webhook secret|deliveries|redeliver|test
void add_doctor_commands(CLI::App& app, Context& ctx);   // doctor
void add_ui_command(CLI::App& app, Context& ctx);        // ui

}  // namespace dagctl::cli
