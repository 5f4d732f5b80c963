#include "cli/app.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/suggest.hpp"
#include "common/paths.hpp"

namespace dagctl::cli {

namespace {

// Where the words on the command line lead through the command tree, read without CLI11:
// its errors name neither a mistyped command nor the commands the user could have meant.
struct Walk {
  CLI::App* reached = nullptr;              // the deepest command named
  std::optional<std::string> unknown;       // a word where a subcommand of `reached` belongs
  std::optional<std::string> unknown_flag;  // a --flag that neither `reached` nor dagctl has
  bool words_after = false;                 // arguments followed the deepest command
};

CLI::App* subcommand_named(CLI::App& parent, const std::string& name) {
  for (auto* sub : parent.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

Walk walk(CLI::App& app, int argc, char** argv) {
  Walk w{&app, std::nullopt, std::nullopt, false};
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      // Skip an option's value: "--socket PATH", "-o json" (not "--socket=PATH", "-ojson").
      const bool is_long = word[1] == '-';
      const std::string name = is_long ? word.substr(0, word.find('=')) : word.substr(0, 2);
      const auto* opt = w.reached->get_option_no_throw(name);
      if (!opt) opt = app.get_option_no_throw(name);  // global options may follow a subcommand
      if (!opt && is_long && !w.unknown_flag) w.unknown_flag = name;
      const bool value_attached = is_long ? word.find('=') != std::string::npos : word.size() > 2;
      if (opt && opt->get_type_size_min() > 0 && !value_attached) ++i;
      continue;
    }
    if (w.reached->get_subcommands([](CLI::App*) { return true; }).empty()) {
      w.words_after = true;  // the command's own arguments
      continue;
    }
    if (auto* sub = subcommand_named(*w.reached, word)) {
      w.reached = sub;
      continue;
    }
    w.unknown = word;
    return w;
  }
  return w;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app; app = app->get_parent()) path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// "unknown command 'trgger'; did you mean 'trigger'?" instead of CLI11's words; nullopt
// when the command line names only commands and flags that exist.
std::optional<std::string> unknown_word(const Walk& w) {
  std::vector<std::string> names;
  std::string message;
  if (w.unknown) {
    for (const auto* sub : w.reached->get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    message = "unknown command '" + *w.unknown + "'";
  } else if (w.unknown_flag) {
    for (const CLI::App* at = w.reached; at; at = at->get_parent()) {  // with dagctl's global flags
      for (const auto* opt : at->get_options()) {
        for (const auto& name : opt->get_lnames()) names.push_back("--" + name);
      }
    }
    message = "unknown flag '" + *w.unknown_flag + "'";
  } else {
    return std::nullopt;
  }
  if (w.reached->get_parent()) message += " for '" + command_path(w.reached) + "'";
  if (const auto guess = did_you_mean(w.unknown ? *w.unknown : *w.unknown_flag, names)) {
    return message + "; did you mean '" + *guess + "'?";
  }
  return message + "; see " + command_path(w.reached) + " --help";
}

}  // namespace

int run(int argc, char** argv) {
  Context ctx;
  CLI::App app("dagctl: trigger and follow dbt and SQLMesh runs through the dagctld daemon", "dagctl");
  app.set_version_flag("--version", DAGCTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.add_option("--socket", ctx.socket, "dagctld's Unix socket")->envname("DAGCTL_SOCKET");
  app.add_option("-o,--output", ctx.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--color", ctx.color, "Colour on a terminal: auto (unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  add_daemon_commands(app, ctx);
  add_project_commands(app, ctx);
  add_job_commands(app, ctx);
  add_trigger_commands(app, ctx);
  add_ls_commands(app, ctx);
  add_run_commands(app, ctx);
  add_watch_command(app, ctx);
  add_token_commands(app, ctx);
  add_webhook_commands(app, ctx);
  add_doctor_commands(app, ctx);
  add_ui_command(app, ctx);
  try {
    ctx.socket = common::default_socket_path();  // docs/cli.md; --socket replaces it
    app.parse(argc, argv);
    return ctx.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const Walk w = walk(app, argc, argv);
    if (const auto message = unknown_word(w)) {
      std::fprintf(stderr, "dagctl: error: %s\n", message->c_str());
      return 2;
    }
    // Bare `dagctl`, or a bare group (`dagctl job`): its help, and 2 as for any incomplete
    // command line, as git does (docs/cli.md).
    if (!w.words_after && !w.reached->get_subcommands([](CLI::App*) { return true; }).empty()) {
      std::cout << w.reached->help();
      return 2;
    }
    std::fprintf(stderr, "dagctl: error: %s; see %s --help\n", e.what(), command_path(w.reached).c_str());
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
