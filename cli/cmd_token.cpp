// token create|list|revoke (local only: the socket is the only way to mint tokens).
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"

namespace dagctl::cli {

void add_token_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("token", "API tokens for the REST API (Airflow, scripts)");
  group->require_subcommand(1);
  {
    auto* cmd = group->add_subcommand("create", "A new token; its secret is shown once");
    auto name = std::make_shared<std::string>();
    auto days = std::make_shared<int>(0);
    auto scope = std::make_shared<std::string>();
    cmd->add_option("--name", *name, "What it is for, e.g. airflow-prod")->required();
    cmd->add_option("--scope", *scope,
                    "read (look only), trigger (also trigger, cancel and retry runs; the default), "
                    "admin (also change jobs and webhooks)")
        ->check(CLI::IsMember({"read", "trigger", "admin"}));
    cmd->add_option("--expires-in", *days, "Days until it stops working (default: never)")->check(CLI::Range(1, 3650));
    cmd->callback([&ctx, name, days, scope, cmd] {
      nlohmann::json body = {{"name", *name}};
      if (cmd->count("--expires-in") > 0) body["expires_in_days"] = *days;
      if (!scope->empty()) body["scope"] = *scope;
      const auto t = ctx.client().post("/api/v1/tokens", body);
      if (ctx.json()) {
        return print_json({{"id", field(t, "id")}, {"name", field(t, "name")}, {"scope", field(t, "scope")},
                           {"token", field(t, "token")}});
      }
      std::cout << fmt::format("{}\n", text_field(t, "token"));
      std::cerr << fmt::format("token {} ({}, scope {}) created{}; the secret above is shown only now: store it\n",
                               text_field(t, "id"), text_field(t, "name"), text_field(t, "scope"),
                               field(t, "expires_at").is_null() ? "" : ", expires " + text_field(t, "expires_at"));
    });
  }
  group->add_subcommand("list", "Tokens (never their secrets)")->callback([&ctx] {
    const auto answer = ctx.client().get("/api/v1/tokens");
    if (ctx.json()) return print_json(answer);
    std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "SCOPE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"}};
    for (const auto& t : field(answer, "tokens")) {
      rows.push_back({text_field(t, "id"), text_field(t, "name"), text_field(t, "scope"), text_field(t, "created_at"),
                      text_field(t, "expires_at"), text_field(t, "last_used_at"), text_field(t, "revoked_at")});
    }
    print_table(rows, {1});
  });
  {
    auto* cmd = group->add_subcommand("revoke", "Stop a token from working, at once");
    auto id = std::make_shared<std::string>();
    cmd->add_option("ID", *id, "Token id (tok_...)")->required();
    cmd->callback([&ctx, id] {
      const auto t = ctx.client().del_json("/api/v1/tokens/" + url_encode(*id));
      if (ctx.json()) return print_json(t);
      std::cout << fmt::format("token {} ({}) revoked\n", text_field(t, "id"), text_field(t, "name"));
    });
  }
}

}  // namespace dagctl::cli
