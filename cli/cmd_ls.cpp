// ls: what a trigger of a job would run, listed by the daemon's own `dbt ls` (docs/cli.md).
#include <fmt/format.h>

#include <iostream>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/dbt_flags.hpp"
#include "cli/resolve.hpp"
#include "common/dbt_command.hpp"

namespace dagctl::cli {

namespace {

// The flags of a job's command that choose its nodes, and how many values each takes
// (docs/commands.md): the rest (--threads, --full-refresh, ...) do not change the list.
const std::set<std::string> kManyValues = {"--select", "-s", "--models", "--model", "-m", "--exclude",
                                           "--resource-type", "--resource-types", "--exclude-resource-type",
                                           "--exclude-resource-types"};
const std::set<std::string> kOneValue = {"--selector", "--target", "-t", "--vars", "--indirect-selection"};
const std::set<std::string> kSwitches = {"--defer", "--no-defer", "--favor-state", "--no-favor-state"};

// The nodes a subcommand runs, as dbt ls resource types ("" for all it selects).
std::vector<std::string> resource_types_of(const std::string& subcommand) {
  if (subcommand == "run") return {"model"};
  if (subcommand == "test") return {"test", "unit_test"};
  if (subcommand == "seed") return {"seed"};
  if (subcommand == "snapshot") return {"snapshot"};
  if (subcommand == "source") return {"source"};
  return {};
}

// `dbt ls --quiet` with the selection of the job's command `job_argv`: the list the
// job's own run would go through. --quiet leaves only the nodes in the output.
std::vector<std::string> ls_of(const std::vector<std::string>& job_argv) {
  std::vector<std::string> argv = {"dbt", "ls", "--quiet"};
  if (job_argv.size() < 2) return argv;
  const std::string& sub = job_argv[1];
  size_t i = (sub == "source" || sub == "docs") ? 3 : 2;
  bool typed_types = false;
  int keep_values = 0;  // -1: every value up to the next flag; n: the next n words
  for (; i < job_argv.size(); ++i) {
    const std::string& w = job_argv[i];
    if (w.empty() || w[0] != '-') {
      if (keep_values != 0) argv.push_back(w);
      if (keep_values > 0) --keep_values;
      continue;
    }
    const auto eq = w.find('=');
    const std::string name = w.substr(0, eq);
    const bool attached = eq != std::string::npos;
    keep_values = 0;
    if (kManyValues.count(name)) {
      argv.push_back(w);
      keep_values = -1;
      typed_types = typed_types || name.find("resource-type") != std::string::npos;
    } else if (kOneValue.count(name)) {
      argv.push_back(w);
      keep_values = attached ? 0 : 1;
    } else if (kSwitches.count(name)) {
      argv.push_back(w);
    }
  }
  if (!typed_types) {
    for (const auto& type : resource_types_of(sub)) {
      argv.push_back("--resource-type");
      argv.push_back(type);
    }
  }
  return argv;
}

int exit_code_of(const std::string& status) {
  if (status == "success") return 0;
  if (status == "failed" || status == "partial") return 1;
  return 2;
}

}  // namespace

void add_ls_commands(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ls", "List the nodes a trigger of the job would run (dbt ls, run by the daemon)");
  auto job = std::make_shared<std::string>();
  auto flags = std::make_shared<DbtFlags>();
  auto types = std::make_shared<std::vector<std::string>>();
  cmd->add_option("JOB", *job, "Job id, PROJECT/JOB, or a job name used by one project");
  flags->add_to(cmd, /*selection_only=*/true);
  cmd->add_option("--resource-type", *types,
                  "Only nodes of this dbt resource type, e.g. model, test, seed (repeatable; default: what the job's "
                  "command runs)");
  cmd->callback([&ctx, cmd, job, flags, types] {
    const Client client = ctx.client();
    const JobRef ref = resolve_job(client, job->empty() ? std::nullopt : std::optional(*job));
    const std::string path = "/api/v1/projects/" + url_encode(ref.project_id) + "/jobs/" + url_encode(ref.job_id);
    auto job_words = common::split_command_words(client.get(path)["command"].get<std::string>());
    if (job_words && !job_words->empty() && job_words->front() == "sqlmesh") {
      throw CliError("dagctl ls lists a dbt job's nodes with dbt ls; this is a SQLMesh job: its plan shows what it "
                     "would change (dagctl trigger JOB --command 'sqlmesh plan --no-prompts --auto-apply --explain')");
    }
    std::vector<std::string> argv = ls_of(job_words ? *job_words : std::vector<std::string>{});
    for (const auto& t : *types) {
      refuse_blank("--resource-type", t, "a dbt resource type such as 'model'");
      argv.push_back("--resource-type");
      argv.push_back(t);
    }
    const std::string typed = flags->typed(cmd) + (types->empty() ? "" : "/--resource-type");
    const auto ls_command = build_command(cmd, *flags, true, common::join_command_words(argv), {}, false);
    const nlohmann::json body = {{"command_override", *ls_command}};
    const auto answer = naming_flags("command_override", typed.empty() ? "dagctl ls" : typed,
                                     [&] { return client.post(path + "/trigger", body); });
    const std::string run_id = answer["job_run_id"];
    // The log stream ends when the run does.
    std::string output;
    client.stream("/api/v1/runs/" + url_encode(run_id) + "/logs?follow=true",
                  [&output](std::string_view chunk) { output.append(chunk); });
    const auto run = client.get("/api/v1/runs/" + url_encode(run_id));
    const std::string status = run["status"];
    if (status != "success") {
      std::cerr << output;
      throw CliError(fmt::format("the listing run {} ended {}: {}", run_id, status, text_of(run["error_message"])),
                     exit_code_of(status));
    }
    std::vector<std::string> nodes;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line.rfind("dagctl: ", 0) == 0) continue;  // the daemon's own notes
      nodes.push_back(line);
    }
    if (ctx.json()) return print_json({{"run", run}, {"nodes", nodes}});
    for (const auto& n : nodes) std::cout << n << "\n";
    if (nodes.empty()) std::cerr << "no node matches (run " << run_id << ")\n";
  });
}

}  // namespace dagctl::cli
