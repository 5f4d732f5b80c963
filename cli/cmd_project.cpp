// project add|list|show|remove.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"

namespace dagctl::cli {

namespace {

std::string job_names(const nlohmann::json& project) {
  std::string out;
  for (const auto& j : project["jobs"]) out += (out.empty() ? "" : ", ") + j["name"].get<std::string>();
  return out;
}

}  // namespace

void add_project_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("project", "Register and inspect dbt projects");
  group->require_subcommand(1);
  {
    auto* cmd = group->add_subcommand("add", "Register a dbt project folder (creates its job 'default': dbt build)");
    struct Args {
      std::string path, name, profiles_dir, target, dbt;
      std::vector<std::string> env;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("PATH", a->path, "The folder that holds dbt_project.yml")->required();
    cmd->add_option("--name", a->name, "Project name (default: the folder's name)");
    cmd->add_option("--profiles-dir", a->profiles_dir, "Folder of profiles.yml (default: dbt's own search)");
    cmd->add_option("--target", a->target, "dbt target (default: the profile's)");
    cmd->add_option("--dbt", a->dbt, "dbt executable for this project (default: the daemon's --dbt)");
    cmd->add_option("--env", a->env, "K=V environment variable for dbt (repeatable)");
    cmd->callback([&ctx, a] {
      nlohmann::json body = {{"path", std::filesystem::absolute(a->path).lexically_normal().string()}};
      if (!a->name.empty()) body["name"] = a->name;
      if (!a->profiles_dir.empty()) body["profiles_dir"] = std::filesystem::absolute(a->profiles_dir).string();
      if (!a->target.empty()) body["target"] = a->target;
      if (!a->dbt.empty()) {
        // A path relative to here means nothing to the daemon; a bare name is looked up in PATH.
        body["dbt"] = a->dbt.find('/') == std::string::npos ? a->dbt : std::filesystem::absolute(a->dbt).string();
      }
      nlohmann::json env = nlohmann::json::object();
      for (const auto& kv : a->env) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) throw CliError("--env takes K=V, got '" + kv + "'");
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      if (!env.empty()) body["env"] = env;
      const auto project = ctx.client().post("/api/v1/projects", body);
      if (ctx.json()) return print_json(project);
      std::cout << fmt::format("registered project {} ({}) at {}\njobs: {}\nrun it: dagctl trigger {}/default --wait\n",
                               project["name"].get<std::string>(), project["id"].get<std::string>(),
                               project["path"].get<std::string>(), job_names(project),
                               project["name"].get<std::string>());
    });
  }
  {
    auto* cmd = group->add_subcommand("list", "Registered projects");
    cmd->callback([&ctx] {
      const auto answer = ctx.client().get("/api/v1/projects");
      if (ctx.json()) return print_json(answer);
      std::vector<std::vector<std::string>> rows = {{"NAME", "ID", "PATH", "JOBS"}};
      for (const auto& p : answer["projects"]) rows.push_back({p["name"], p["id"], p["path"], job_names(p)});
      print_table(rows);
    });
  }
  {
    auto* cmd = group->add_subcommand("show", "One project");
    auto id = std::make_shared<std::string>();
    cmd->add_option("PROJECT", *id, "Project id or name")->required();
    cmd->callback([&ctx, id] {
      const auto p = ctx.client().get("/api/v1/projects/" + url_encode(*id));
      if (ctx.json()) return print_json(p);
      for (const char* key : {"name", "id", "type", "path", "profiles_dir", "target", "dbt", "created_at"}) {
        std::cout << fmt::format("{:<13} {}\n", std::string(key) + ":", text_of(p[key]));
      }
      std::cout << fmt::format("{:<13} {}\n", "env:", p["env"].empty() ? "-" : p["env"].dump());
      std::cout << fmt::format("{:<13} {}\n", "jobs:", job_names(p));
    });
  }
  {
    auto* cmd = group->add_subcommand("remove", "Forget a project, its jobs and its run history");
    auto id = std::make_shared<std::string>();
    cmd->add_option("PROJECT", *id, "Project id or name")->required();
    cmd->callback([&ctx, id] {
      ctx.client().del("/api/v1/projects/" + url_encode(*id));
      if (ctx.json()) return print_json({{"removed", *id}});
      std::cout << "removed project " << *id << "\n";
    });
  }
}

}  // namespace dagctl::cli
