// ui: a one-time login link to the web UI, opened in the browser or printed
// (docs/cli.md, docs/security.md#web-ui).
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/open_browser.hpp"

namespace dagctl::cli {

void add_ui_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ui", "Open the web UI in your browser with a one-time login link");
  auto print_only = std::make_shared<bool>(false);
  cmd->add_flag("--print-url", *print_only, "Print the link instead of opening it (it works once, for 2 minutes)");
  cmd->callback([&ctx, print_only] {
    const auto answer = ctx.client().post("/api/v1/ui/login");
    if (ctx.json()) return print_json(answer);
    const std::string url = text_field(answer, "url");
    if (*print_only) {
      std::cout << url << "\n";
      return;
    }
    const std::string problem = open_in_browser(url);
    if (problem.empty()) {
      std::cerr << "opened the web UI in your browser (if it did not appear, run dagctl ui --print-url)\n";
      return;
    }
    std::cout << url << "\n";
    std::cerr << fmt::format("could not open a browser: {}; open the link above yourself (it works once, for 2 minutes)\n",
                             problem);
  });
}

}  // namespace dagctl::cli
