// job list|show|create|update|delete.
#include <fmt/format.h>

#include <cctype>
#include <functional>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/dbt_flags.hpp"
#include "cli/resolve.hpp"

namespace dagctl::cli {

namespace {

std::string job_path(const JobRef& ref) {
  return "/api/v1/projects/" + url_encode(ref.project_id) + "/jobs/" + url_encode(ref.job_id);
}

// Flags shared by create and update; only those given end up in the body.
struct JobFlags {
  std::string name, command, schedule, timezone, webhook_url, webhook_events, webhook_enabled,
      enabled, catchup, auth_type, auth_token_url, auth_username, auth_password, slack, slack_events,
      airflow_assets;
  bool no_slack = false;
  int timeout = 0;
  std::vector<std::string> webhook_headers;

  void add_to(CLI::App* cmd, bool update) {
    cmd->add_option("--name", name, update ? "New job name" : "Job name")->required(!update);
    cmd->add_option("--command", command, "dbt command, e.g. 'dbt build --select tag:nightly'")->required(!update);
    cmd->add_option("--schedule", schedule, "5-field cron expression or @daily etc. ('' to remove)");
    cmd->add_option("--timezone", timezone, "IANA time zone of the schedule, e.g. Europe/Berlin (default: this machine's)");
    cmd->add_option("--timeout", timeout, "Seconds before the run is stopped and ends 'error'")
        ->check(CLI::Range(1, 7 * 86400));
    cmd->add_option("--enabled", enabled, "true or false")->check(CLI::IsMember({"true", "false"}));
    cmd->add_option("--catchup", catchup, "true or false: one catch-up run after downtime")
        ->check(CLI::IsMember({"true", "false"}));
    add_slack_to(cmd, update);
    cmd->add_option("--airflow-assets", airflow_assets,
                    "Airflow 3's base URL, e.g. http://localhost:8080: an asset event per model built; 'off' to stop");
    if (!update) return;
    cmd->add_option("--webhook-url", webhook_url, "URL POSTed when a run ends ('' to clear)");
    cmd->add_option("--webhook-header", webhook_headers,
                    "'Name: value' sent with the webhook (repeatable; replaces the list; '' clears it)");
    cmd->add_option("--webhook-events", webhook_events, "Comma list of completed,failed,partial,cancelled ('' = all)");
    cmd->add_option("--webhook-enabled", webhook_enabled, "true or false")->check(CLI::IsMember({"true", "false"}));
    cmd->add_option("--webhook-auth", auth_type,
                    "none; airflow_jwt (Airflow 3: fetch a JWT with a user and password); basic (HTTP Basic auth, e.g. Airflow 2)")
        ->check(CLI::IsMember({"none", "airflow_jwt", "basic"}));
    cmd->add_option("--webhook-auth-token-url", auth_token_url, "Airflow's token URL, http://HOST:PORT/auth/token (airflow_jwt)");
    cmd->add_option("--webhook-auth-username", auth_username, "User the webhook logs in as");
    cmd->add_option("--webhook-auth-password", auth_password, "Its password (write-only; prefer the variable)")
        ->envname("DAGCTL_WEBHOOK_AUTH_PASSWORD");
  }

  // Slack alerts (docs/notifications.md): the job's one slack notification.
  void add_slack_to(CLI::App* cmd, bool update) {
    auto* url = cmd->add_option("--slack", slack, "Slack incoming-webhook URL to alert (a secret: shown redacted)");
    auto* events = cmd->add_option("--slack-events", slack_events,
                                   "Comma list of completed,failed,partial,cancelled that alert Slack (default failed,partial)");
    if (!update) return;
    cmd->add_flag("--no-slack", no_slack, "Remove the job's Slack notification")->excludes(url)->excludes(events);
  }

  bool slack_given(const CLI::App* cmd) const {
    return cmd->count("--slack") > 0 || cmd->count("--slack-events") > 0 || (cmd->get_option_no_throw("--no-slack") && cmd->count("--no-slack") > 0);
  }

  // The job's notifications after the slack flags: others kept, the slack one added,
  // changed or removed. `current` is the list as the job's JSON shows it: a URL sent back
  // redacted keeps the stored one, so --slack-events alone keeps the URL.
  nlohmann::json notifications(const CLI::App* cmd, const nlohmann::json& current) const {
    nlohmann::json list = nlohmann::json::array();
    nlohmann::json slack_one = nullptr;
    for (const auto& n : current.is_array() ? current : nlohmann::json::array()) {
      if (n.is_object() && n.value("kind", "") == "slack" && slack_one.is_null()) {
        slack_one = n;
      } else {
        list.push_back(n);
      }
    }
    if (no_slack) return list;
    if (cmd->count("--slack") > 0) {
      if (slack.empty()) throw CliError("--slack needs the Slack incoming-webhook URL (remove it with --no-slack)");
      if (slack_one.is_null()) slack_one = {{"kind", "slack"}};
      slack_one["url"] = slack;
    }
    if (slack_one.is_null()) throw CliError("--slack-events needs --slack URL: the job has no Slack notification yet");
    if (cmd->count("--slack-events") > 0) slack_one["events"] = comma_list(slack_events);
    list.insert(list.begin(), slack_one);
    return list;
  }

  static nlohmann::json comma_list(std::string rest) {
    nlohmann::json words = nlohmann::json::array();
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string word = rest.substr(0, comma);
      if (!word.empty()) words.push_back(word);
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
    return words;
  }

  nlohmann::json body(const CLI::App* cmd) const {
    nlohmann::json b = nlohmann::json::object();
    auto given = [cmd](const char* flag) { return cmd->count(flag) > 0; };
    if (given("--name")) b["name"] = name;
    if (given("--command")) b["command"] = command;
    if (given("--schedule")) b["schedule"] = schedule.empty() ? nlohmann::json(nullptr) : nlohmann::json(schedule);
    if (given("--timezone")) b["timezone"] = timezone.empty() ? nlohmann::json(nullptr) : nlohmann::json(timezone);
    if (given("--timeout")) b["timeout_seconds"] = timeout;
    if (given("--enabled")) b["enabled"] = enabled == "true";
    if (given("--catchup")) b["catchup"] = catchup == "true";
    if (given("--airflow-assets")) {
      b["airflow_assets_url"] = airflow_assets == "off" ? nlohmann::json(nullptr) : nlohmann::json(airflow_assets);
    }
    if (cmd->get_option_no_throw("--webhook-url") == nullptr) return b;
    if (given("--webhook-url")) b["webhook_url"] = webhook_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(webhook_url);
    if (given("--webhook-enabled")) b["webhook_enabled"] = webhook_enabled == "true";
    if (given("--webhook-auth")) {
      // Said here in flag names; the daemon would name JSON fields.
      auto need = [](const std::string& value, const std::string& flag) {
        if (value.empty()) throw CliError("--webhook-auth needs " + flag);
      };
      if (auth_type != "none") {
        if (auth_type == "airflow_jwt") need(auth_token_url, "--webhook-auth-token-url http://HOST:PORT/auth/token");
        need(auth_username, "--webhook-auth-username USER");
        need(auth_password, "the password: set DAGCTL_WEBHOOK_AUTH_PASSWORD (or pass --webhook-auth-password)");
      }
      if (auth_type == "none") {
        b["webhook_auth"] = nullptr;
      } else if (auth_type == "basic") {
        b["webhook_auth"] = {{"type", auth_type}, {"username", auth_username}, {"password", auth_password}};
      } else {
        b["webhook_auth"] = {{"type", auth_type}, {"token_url", auth_token_url}, {"username", auth_username},
                             {"password", auth_password}};
      }
    }
    if (given("--webhook-events")) {
      nlohmann::json events = nlohmann::json::array();
      std::string rest = webhook_events;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string word = rest.substr(0, comma);
        if (!word.empty()) events.push_back(word);
        rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
      }
      b["webhook_events"] = events;
    }
    if (given("--webhook-header")) {
      nlohmann::json headers = nlohmann::json::object();
      for (const auto& h : webhook_headers) {
        if (h.empty() && webhook_headers.size() == 1) break;  // --webhook-header '' clears them
        const auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0) throw CliError("--webhook-header takes 'Name: value', got '" + h + "'");
        std::string value = h.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        headers[h.substr(0, colon)] = value;
      }
      b["webhook_headers"] = headers;
    }
    return b;
  }
};

// The flag that sets each of a job's JSON fields, for messages.
struct FieldFlag {
  const char* api_field;
  const char* flag;
};
const FieldFlag kFieldFlags[] = {
    {"notifications[0].url", "--slack"},
    {"notifications[0].events", "--slack-events"},
    {"notifications", "--slack"},
    {"webhook_auth field 'token_url'", "--webhook-auth-token-url"},
    {"webhook_auth field 'username'", "--webhook-auth-username"},
    {"webhook_auth field 'password'", "--webhook-auth-password"},
    {"timeout_seconds", "--timeout"},       {"webhook_enabled", "--webhook-enabled"},
    {"webhook_headers", "--webhook-header"}, {"webhook_events", "--webhook-events"},
    {"webhook_auth", "--webhook-auth"},      {"webhook_url", "--webhook-url"},
    {"name", "--name"},                      {"command", "--command"},
    {"schedule", "--schedule"},              {"timezone", "--timezone"},
    {"enabled", "--enabled"},                {"catchup", "--catchup"},
    {"airflow_assets_url", "--airflow-assets"},
};

// The daemon names a job's JSON fields in its 400s; the CLI user typed flags. The daemon's
// message is kept, with each field it names said as the flag that sets it; a message that
// names none about a body of one field gets that field's flag in front.
std::string in_flag_words(std::string message, const nlohmann::json& body) {
  auto replace_all = [&message](const std::string& from, const std::string& to) {
    for (size_t at = message.find(from); at != std::string::npos; at = message.find(from, at + to.size())) {
      message.replace(at, from.size(), to);
    }
  };
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  for (const auto& [api_field, flag] : kFieldFlags) {
    const std::string f = api_field;
    replace_all("field '" + f + "'", flag);
    replace_all("'" + f + "'", flag);
    if (f.find('_') != std::string::npos && f.find(' ') == std::string::npos) {
      // snake_case is never English: every whole-word use is the field.
      for (size_t at = message.find(f); at != std::string::npos; at = message.find(f, at + 1)) {
        const bool whole = (at == 0 || !is_word(message[at - 1])) &&
                           (at + f.size() == message.size() || !is_word(message[at + f.size()]));
        if (whole) message.replace(at, f.size(), flag);
      }
    } else if (message.rfind(f + ":", 0) == 0 || message.rfind(f + " ", 0) == 0) {
      message.replace(0, f.size(), flag);  // "command: ...", "schedule '...' never fires"
    }
  }
  replace_all("job name '", "--name '");
  if (message.find("--") == std::string::npos && body.is_object() && body.size() == 1) {
    for (const auto& [api_field, flag] : kFieldFlags) {
      if (body.begin().key() == api_field) return std::string(flag) + ": " + message;
    }
  }
  return message;
}

// A create or update whose refusal is said in flags.
nlohmann::json send_job(const nlohmann::json& body, const std::function<nlohmann::json(const nlohmann::json&)>& request) {
  try {
    return request(body);
  } catch (const CliError& e) {
    throw CliError(in_flag_words(e.what(), body), e.exit_code());
  }
}

void print_job(const nlohmann::json& job, const std::string& project_name) {
  std::cout << fmt::format("{:<16} {}/{}\n", "job:", project_name, text_field(job, "name"));
  for (const char* key : {"id", "command", "schedule", "timezone", "timeout_seconds", "enabled", "catchup",
                          "webhook_enabled", "webhook_url", "webhook_events", "webhook_auth", "created_at",
                          "updated_at"}) {
    std::cout << fmt::format("{:<16} {}\n", std::string(key) + ":", text_field(job, key));
  }
  std::string headers;
  const auto& header_map = field(job, "webhook_headers");
  if (header_map.is_object()) {
    for (const auto& [name, value] : header_map.items()) headers += (headers.empty() ? "" : ", ") + name;
  }
  std::cout << fmt::format("{:<16} {}\n", "webhook_headers:", headers.empty() ? "-" : headers + " (values hidden)");
  std::string alerts;
  for (const auto& n : field(job, "notifications")) {
    std::string events;
    for (const auto& e : field(n, "events")) events += (events.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    alerts += fmt::format("{}{} {} on {}", alerts.empty() ? "" : "; ", text_field(n, "kind"), text_field(n, "url"), events);
  }
  std::cout << fmt::format("{:<16} {}\n", "notifications:", alerts.empty() ? "-" : alerts);
  // The field's name is wider than the column: the flag's word, as `job update` takes it.
  std::cout << fmt::format("{:<16} {}\n", "airflow_assets:", text_field(job, "airflow_assets_url"));
  const auto& info = field(job, "schedule_info");
  if (!info.is_object()) return;
  std::cout << fmt::format("\nschedule: {} ({}, {})\n", text_field(job, "schedule"), info.value("description", ""),
                           info.value("timezone", ""));
  if (!field(job, "last_fire_at").is_null()) {
    std::cout << fmt::format("last fire: {}: {}\n", text_field(job, "last_fire_at"), text_field(job, "last_fire_outcome"));
  }
  if (field(job, "enabled") == false) std::cout << "the job is disabled: it will not fire\n";
  std::cout << "next fire times:\n";
  std::vector<std::vector<std::string>> rows = {{"  JOB ZONE", "LOCAL"}};
  for (const auto& f : field(info, "next_fire_times")) rows.push_back({"  " + text_field(f, "job_zone"), text_field(f, "local")});
  print_table(rows);
}

}  // namespace

void add_job_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("job", "Create, change and inspect jobs");
  group->require_subcommand(1);
  {
    auto* cmd = group->add_subcommand("list", "Jobs of every project, or of one");
    auto project = std::make_shared<std::string>();
    cmd->add_option("--project", *project, "Project id or name");
    cmd->callback([&ctx, project] {
      const Client client = ctx.client();
      nlohmann::json jobs = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows = {{"JOB", "ID", "COMMAND", "SCHEDULE", "ENABLED"}};
      // Each answer is held in a variable: a range-for over a member of a temporary would
      // iterate a destroyed object.
      const nlohmann::json projects = client.get("/api/v1/projects");
      for (const auto& p : field(projects, "projects")) {
        const std::string id = text_field(p, "id"), name = text_field(p, "name");
        if (!project->empty() && id != *project && name != *project) continue;
        const nlohmann::json answer = client.get("/api/v1/projects/" + url_encode(id) + "/jobs");
        for (const auto& j : field(answer, "jobs")) {
          rows.push_back({name + "/" + text_field(j, "name"), text_field(j, "id"), text_field(j, "command"),
                          text_field(j, "schedule"), text_field(j, "enabled")});
          jobs.push_back(j);
        }
      }
      ctx.json() ? print_json({{"jobs", jobs}}) : print_table(rows, {2});
    });
  }
  {
    auto* cmd = group->add_subcommand("show", "One job");
    auto job = std::make_shared<std::string>();
    cmd->add_option("JOB", *job, "Job id or PROJECT/JOB")->required();
    cmd->callback([&ctx, job] {
      const Client client = ctx.client();
      const auto ref = resolve_job(client, *job);
      const auto j = client.get(job_path(ref));
      ctx.json() ? print_json(j) : print_job(j, ref.project_name);
    });
  }
  {
    auto* cmd = group->add_subcommand("create", "A new job on a project");
    auto project = std::make_shared<std::string>();
    auto flags = std::make_shared<JobFlags>();
    auto dbt = std::make_shared<DbtFlags>();
    cmd->add_option("PROJECT", *project, "Project id or name")->required();
    flags->add_to(cmd, /*update=*/false);
    dbt->add_to(cmd);
    cmd->callback([&ctx, project, flags, dbt, cmd] {
      const Client client = ctx.client();
      const auto p = client.get("/api/v1/projects/" + url_encode(*project));
      const std::string project_id = text_field(p, "id");
      auto body = flags->body(cmd);
      if (flags->slack_given(cmd)) body["notifications"] = flags->notifications(cmd, nlohmann::json::array());
      if (dbt->change_command(cmd, true)) body["command"] = *build_command(cmd, *dbt, true, flags->command, {}, true);
      const auto j = send_job(body, [&](const nlohmann::json& b) {
        return naming_flags("command", dbt->typed(cmd, true),
                            [&] { return client.post("/api/v1/projects/" + url_encode(project_id) + "/jobs", b); });
      });
      ctx.json() ? print_json(j) : print_job(j, text_field(p, "name"));
    });
  }
  {
    auto* cmd = group->add_subcommand("update", "Change a job's fields");
    auto job = std::make_shared<std::string>();
    auto flags = std::make_shared<JobFlags>();
    auto dbt = std::make_shared<DbtFlags>();
    cmd->add_option("JOB", *job, "Job id or PROJECT/JOB")->required();
    flags->add_to(cmd, /*update=*/true);
    dbt->add_to(cmd);
    cmd->callback([&ctx, job, flags, dbt, cmd] {
      const Client client = ctx.client();
      const auto ref = resolve_job(client, *job);
      auto body = flags->body(cmd);
      if (flags->slack_given(cmd)) body["notifications"] = flags->notifications(cmd, client.get(job_path(ref))["notifications"]);
      if (dbt->change_command(cmd, true)) {
        // The options change the job's command: the one typed, else the stored one.
        const auto stored = [&] { return client.get(job_path(ref))["command"].get<std::string>(); };
        body["command"] = *build_command(cmd, *dbt, cmd->count("--command") > 0, flags->command, stored, true);
      }
      if (body.empty()) throw CliError("nothing to change; pass at least one flag (see dagctl job update --help)");
      const auto j = send_job(body, [&](const nlohmann::json& b) {
        return naming_flags("command", dbt->typed(cmd, true), [&] { return client.patch(job_path(ref), b); });
      });
      ctx.json() ? print_json(j) : print_job(j, ref.project_name);
    });
  }
  {
    auto* cmd = group->add_subcommand("delete", "Delete a job (its runs stay in the history)");
    auto job = std::make_shared<std::string>();
    cmd->add_option("JOB", *job, "Job id or PROJECT/JOB")->required();
    cmd->callback([&ctx, job] {
      const Client client = ctx.client();
      const auto ref = resolve_job(client, *job);
      client.del(job_path(ref));
      if (ctx.json()) return print_json({{"deleted", ref.job_id}});
      std::cout << "deleted job " << ref.project_name << "/" << ref.job_name << "\n";
    });
  }
}

}  // namespace dagctl::cli
