// project add|list|show|update|remove.
#include <fmt/format.h>
#include <unistd.h>

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

// --env K=V as a JSON object of strings.
nlohmann::json env_object(const std::vector<std::string>& pairs) {
  nlohmann::json env = nlohmann::json::object();
  for (const auto& kv : pairs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw CliError("--env takes K=V, got '" + kv + "'");
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

// A path relative to here means nothing to the daemon; a bare name is looked up in PATH.
std::string dbt_path(const std::string& dbt) {
  return dbt.find('/') == std::string::npos ? dbt : std::filesystem::absolute(dbt).string();
}

// Where a project is: its folder, or its repository (with the ref and subfolder given).
std::string where_of(const nlohmann::json& p) {
  const auto git = p.value("git_url", nlohmann::json());
  if (!git.is_string()) return text_field(p, "path");
  std::string out = git.get<std::string>();
  if (const auto ref = p.value("git_ref", nlohmann::json()); ref.is_string()) out += "@" + ref.get<std::string>();
  if (const auto sub = p.value("git_subdir", nlohmann::json()); sub.is_string()) out += " (" + sub.get<std::string>() + ")";
  return out;
}

void print_project(const nlohmann::json& p) {
  const bool sqlmesh = p.value("type", "") == "sqlmesh";
  for (const char* key : {"name", "id", "type", "path", "git_url", "git_ref", "git_subdir", "profiles_dir", "target",
                          "dbt", "sqlmesh", "created_at"}) {
    // A SQLMesh project has no dbt settings, a dbt project no sqlmesh.
    const std::string_view k = key;
    if (sqlmesh ? (k == "profiles_dir" || k == "target" || k == "dbt") : k == "sqlmesh") continue;
    if (!p.contains(key)) continue;
    // A project from git has no path; a folder project no git fields.
    const bool from_git = p.value("git_url", nlohmann::json()).is_string();
    if (from_git ? k == "path" : k.starts_with("git_")) continue;
    std::cout << fmt::format("{:<13} {}\n", std::string(key) + ":", text_of(p[key]));
  }
  std::cout << fmt::format("{:<13} {}\n", "env:", p["env"].empty() ? "-" : p["env"].dump());
  if (const auto warm = p.find("warm"); warm != p.end() && warm->is_boolean() && !sqlmesh) {
    std::cout << fmt::format("{:<13} {}\n", "warm:", warm->get<bool>() ? "on" : "off");
  }
  if (const auto ol = p.find("openlineage_url"); ol != p.end()) {  // docs/openlineage.md
    std::cout << fmt::format("{:<13} {}\n", "openlineage:",
                             ol->is_string() ? (ol->get<std::string>().empty() ? "off" : ol->get<std::string>())
                                             : "the daemon's (--openlineage-url)");
  }
  std::cout << fmt::format("{:<13} {}\n", "jobs:", job_names(p));
}

// How many runs the project has (the history `project remove` deletes), page by page.
long count_runs(const Client& client, const std::string& project_id) {
  long count = 0;
  std::string path = "/api/v1/runs?limit=1000&project_id=" + url_encode(project_id);
  for (nlohmann::json page = client.get(path);; page = client.get(path + "&before=" + url_encode(page["next"].get<std::string>()))) {
    count += static_cast<long>(page["runs"].size());
    if (!page["next"].is_string()) return count;
  }
}

}  // namespace

void add_project_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("project", "Register and inspect dbt and SQLMesh projects");
  group->require_subcommand(1);
  {
    auto* cmd = group->add_subcommand(
        "add", "Register a dbt or SQLMesh project folder (creates its job 'default': dbt build, or sqlmesh run)");
    struct Args {
      std::string path, name, profiles_dir, target, dbt, sqlmesh, type, git, ref, subdir;
      std::vector<std::string> env;
      bool no_check = false;
      bool no_warm = false;
      bool on_every_daemon = false;
      std::string openlineage_url;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("PATH", a->path, "The folder that holds dbt_project.yml, or SQLMesh's config.yaml");
    cmd->add_option("--git", a->git, "A git repository to run instead of a folder (https, ssh, git, file or user@host:path)");
    cmd->add_option("--ref", a->ref, "With --git: the branch, tag or commit to run (default: the remote's HEAD branch)");
    cmd->add_option("--subdir", a->subdir, "With --git: the project's folder inside the repository");
    cmd->add_flag("--on-every-daemon", a->on_every_daemon,
                  "With a store shared by several daemons: PATH exists on every daemon's machine");
    cmd->add_option("--type", a->type, "dbt or sqlmesh (default: told by the folder's files)")
        ->check(CLI::IsMember({"dbt", "sqlmesh"}));
    cmd->add_option("--name", a->name, "Project name (default: the folder's name)");
    cmd->add_option("--profiles-dir", a->profiles_dir, "Folder of profiles.yml (default: dbt's own search)");
    cmd->add_option("--target", a->target, "dbt target (default: the profile's)");
    cmd->add_option("--dbt", a->dbt, "dbt executable for this project (default: the daemon's --dbt)");
    cmd->add_option("--sqlmesh", a->sqlmesh, "sqlmesh executable for a SQLMesh project (default: the daemon's --sqlmesh)");
    cmd->add_option("--env", a->env, "K=V environment variable for dbt or sqlmesh (repeatable)");
    cmd->add_flag("--no-check", a->no_check, "Register without the project checks (dbt, profile, target)");
    cmd->add_flag("--no-warm", a->no_warm, "Runs always start a fresh dbt, never the project's warm worker");
    cmd->add_option("--openlineage-url", a->openlineage_url,
                    "Where its runs' OpenLineage events go, or 'off' (default: the daemon's --openlineage-url)");
    cmd->callback([&ctx, a] {
      if (a->path.empty() == a->git.empty()) throw CliError("give the project's folder (PATH) or a repository (--git URL)");
      if (a->git.empty() && (!a->ref.empty() || !a->subdir.empty())) throw CliError("--ref and --subdir need --git URL");
      nlohmann::json body = nlohmann::json::object();
      if (!a->path.empty()) body["path"] = std::filesystem::absolute(a->path).lexically_normal().string();
      if (!a->git.empty()) body["git_url"] = a->git;
      if (!a->ref.empty()) body["git_ref"] = a->ref;
      if (!a->subdir.empty()) body["git_subdir"] = a->subdir;
      if (a->on_every_daemon) body["on_every_daemon"] = true;
      if (!a->name.empty()) body["name"] = a->name;
      if (!a->profiles_dir.empty()) body["profiles_dir"] = std::filesystem::absolute(a->profiles_dir).string();
      if (!a->target.empty()) body["target"] = a->target;
      if (!a->dbt.empty()) body["dbt"] = dbt_path(a->dbt);
      if (!a->sqlmesh.empty()) body["sqlmesh"] = dbt_path(a->sqlmesh);
      if (!a->type.empty()) body["type"] = a->type;
      const auto env = env_object(a->env);
      if (!env.empty()) body["env"] = env;
      if (a->no_warm) body["warm"] = false;
      if (!a->openlineage_url.empty()) body["openlineage_url"] = a->openlineage_url == "off" ? "" : a->openlineage_url;
      if (a->no_check) body["check"] = false;
      const auto project = ctx.client().post("/api/v1/projects", body);
      if (ctx.json()) return print_json(project);
      // One fact a line: an 80-column terminal never wraps the id or the path.
      std::cout << fmt::format("registered project {} at {}\nid:     {}\ntype:   {}\njobs:   {}\nrun it: dagctl trigger {}/default --wait\n",
                               project["name"].get<std::string>(), where_of(project),
                               project["id"].get<std::string>(), text_field(project, "type"), job_names(project),
                               project["name"].get<std::string>());
    });
  }
  {
    auto* cmd = group->add_subcommand("list", "Registered projects");
    cmd->callback([&ctx] {
      const auto answer = ctx.client().get("/api/v1/projects");
      if (ctx.json()) return print_json(answer);
      std::vector<std::vector<std::string>> rows = {{"NAME", "TYPE", "ID", "PATH", "JOBS"}};
      for (const auto& p : answer["projects"]) rows.push_back({p["name"], text_field(p, "type"), p["id"], where_of(p), job_names(p)});
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
      print_project(p);
    });
  }
  {
    auto* cmd = group->add_subcommand("update", "Change a project's folder, dbt or sqlmesh, profiles folder, target, environment or warm worker");
    struct Args {
      std::string project, path, name, profiles_dir, target, dbt, sqlmesh, warm, openlineage_url, ref, subdir;
      std::vector<std::string> env, unset_env;
      bool no_check = false;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("PROJECT", a->project, "Project id or name")->required();
    cmd->add_option("--path", a->path, "The folder that holds dbt_project.yml");
    cmd->add_option("--ref", a->ref, "A project from git: the branch, tag or commit to run ('' for the remote's HEAD branch)");
    cmd->add_option("--subdir", a->subdir, "A project from git: its folder inside the repository ('' for the top)");
    cmd->add_option("--name", a->name, "New project name");
    cmd->add_option("--profiles-dir", a->profiles_dir, "Folder of profiles.yml ('' for dbt's own search)");
    cmd->add_option("--target", a->target, "dbt target ('' for the profile's)");
    cmd->add_option("--dbt", a->dbt, "dbt executable for this project ('' for the daemon's --dbt)");
    cmd->add_option("--sqlmesh", a->sqlmesh, "sqlmesh executable of a SQLMesh project ('' for the daemon's --sqlmesh)");
    cmd->add_option("--env", a->env, "K=V environment variable for dbt or sqlmesh, set or replaced (repeatable)");
    cmd->add_option("--unset-env", a->unset_env, "Remove environment variable K (repeatable)");
    cmd->add_option("--warm", a->warm, "on or off: whether runs may use the project's warm dbt worker")
        ->check(CLI::IsMember({"on", "off"}));
    cmd->add_option("--openlineage-url", a->openlineage_url,
                    "Where its runs' OpenLineage events go, 'off' for none, '' for the daemon's --openlineage-url");
    cmd->add_flag("--no-check", a->no_check, "Change it without the project checks (dbt, profile, target)");
    cmd->callback([&ctx, a, cmd] {
      nlohmann::json body = nlohmann::json::object();
      using nlohmann::json;
      const auto given = [cmd](const char* flag) { return cmd->count(flag) > 0; };
      // Given as '': back to the default (null).
      if (given("--path")) body["path"] = std::filesystem::absolute(a->path).lexically_normal().string();
      if (given("--name")) body["name"] = a->name;
      if (given("--ref")) body["git_ref"] = a->ref.empty() ? json(nullptr) : json(a->ref);
      if (given("--subdir")) body["git_subdir"] = a->subdir.empty() ? json(nullptr) : json(a->subdir);
      if (given("--profiles-dir")) {
        body["profiles_dir"] = a->profiles_dir.empty() ? json(nullptr) : json(std::filesystem::absolute(a->profiles_dir).string());
      }
      if (given("--target")) body["target"] = a->target.empty() ? json(nullptr) : json(a->target);
      if (given("--dbt")) body["dbt"] = a->dbt.empty() ? json(nullptr) : json(dbt_path(a->dbt));
      if (given("--sqlmesh")) body["sqlmesh"] = a->sqlmesh.empty() ? json(nullptr) : json(dbt_path(a->sqlmesh));
      auto env = env_object(a->env);
      for (const auto& k : a->unset_env) env[k] = nullptr;
      if (!env.empty()) body["env"] = env;
      if (given("--warm")) body["warm"] = a->warm == "on";
      if (given("--openlineage-url")) {
        body["openlineage_url"] = a->openlineage_url.empty()   ? json(nullptr)
                                  : a->openlineage_url == "off" ? json("")
                                                                : json(a->openlineage_url);
      }
      if (body.empty()) {
        throw CliError("nothing to change; pass --path, --ref, --subdir, --name, --dbt, --sqlmesh, --profiles-dir, --target, --env, "
                       "--unset-env, --warm or --openlineage-url");
      }
      if (a->no_check) body["check"] = false;
      const auto p = ctx.client().patch("/api/v1/projects/" + url_encode(a->project), body);
      if (ctx.json()) return print_json(p);
      std::cout << "updated project " << p["name"].get<std::string>() << "\n";
      print_project(p);
    });
  }
  {
    auto* cmd = group->add_subcommand("remove", "Forget a project, its jobs and its run history");
    auto id = std::make_shared<std::string>();
    auto yes = std::make_shared<bool>(false);
    cmd->add_option("PROJECT", *id, "Project id or name")->required();
    cmd->add_flag("-y,--yes", *yes, "Do not ask: delete the project's whole run history");
    cmd->callback([&ctx, id, yes] {
      if (!*yes) {
        if (!::isatty(STDIN_FILENO)) {
          throw CliError("project remove deletes the project's jobs, runs, logs and artifacts; pass --yes to confirm "
                         "(stdin is not a terminal, so there is no one to ask)");
        }
        const auto client = ctx.client();
        const auto p = client.get("/api/v1/projects/" + url_encode(*id));
        const long runs = count_runs(client, p["id"].get<std::string>());
        std::cerr << fmt::format("remove project {} ({}) with its {} job(s) and {} run(s), their logs and artifacts? [y/N] ",
                                 p["name"].get<std::string>(), p["path"].get<std::string>(), p["jobs"].size(), runs);
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") throw CliError("not removed", 1);
      }
      ctx.client().del("/api/v1/projects/" + url_encode(*id));
      if (ctx.json()) return print_json({{"removed", *id}});
      std::cout << "removed project " << *id << "\n";
    });
  }
}

}  // namespace dagctl::cli
