// Service's projects: registering, changing, checking and removing them.
#include <algorithm>
#include <filesystem>

#include "common/command.hpp"
#include "common/data_dir.hpp"
#include "common/defer.hpp"
#include "common/limits.hpp"
#include "common/random.hpp"
#include "daemon/runner/git_checkout.hpp"
#include "daemon/runner/sandbox.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/field_checks.hpp"
#include "daemon/service/service.hpp"
#include "daemon/webhooks/target.hpp"

extern char** environ;

namespace dagctl::daemon::service {

namespace fs = std::filesystem;

namespace {

// `dbt --version` imports all of dbt: seconds on a loaded machine. Below the CLI's 60 s.
constexpr std::chrono::seconds kDbtVersionTimeout{45};

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

// A path (or the dbt executable): no file name holds a NUL or a line break.
void check_path(const std::string& field, const std::string& value) {
  check_length(field, value, common::limits::kPath);
  if (has_control(value)) throw bad_request("field '" + field + "' holds a control character (NUL, line break, ...)");
}

void check_env(const std::map<std::string, std::string>& env) {
  if (env.size() > common::limits::kEnvVars) {
    throw bad_request("field 'env' has " + std::to_string(env.size()) + " variables; the limit is " +
                      std::to_string(common::limits::kEnvVars) + " (docs/limits.md)");
  }
  for (const auto& [k, v] : env) {
    const auto word = [](char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    const bool ok = !k.empty() && k.size() <= common::limits::kEnvName && !(k[0] >= '0' && k[0] <= '9') &&
                    std::all_of(k.begin(), k.end(), word);
    if (!ok) {
      throw bad_request("env name " + common::quote(k) + " is not a valid variable name (letters, digits and '_', not "
                        "starting with a digit, at most " + std::to_string(common::limits::kEnvName) + " bytes)");
    }
    check_length("env " + k, v, common::limits::kEnvValue);
    if (v.find('\0') != std::string::npos) throw bad_request("env value of '" + k + "' holds a NUL byte");
  }
}

bool has_file(const fs::path& folder, const char* name) {
  std::error_code ec;
  return fs::is_regular_file(folder / name, ec);
}

bool has_sqlmesh_config(const fs::path& folder) {
  return has_file(folder, "config.yaml") || has_file(folder, "config.yml") || has_file(folder, "config.py");
}

// What a folder holds (docs/sqlmesh.md, Registering): dbt_project.yml makes a dbt project,
// SQLMesh's config file a SQLMesh one.
std::optional<std::string> type_of_folder(const fs::path& folder) {
  if (has_file(folder, "dbt_project.yml")) return "dbt";
  if (has_sqlmesh_config(folder)) return "sqlmesh";
  return std::nullopt;
}

// A project from git's fields (docs/api.md#projects-from-git): 400 naming what is refused.
void check_git_fields(const store::Project& p) {
  if (!p.path.empty()) {
    throw bad_request("give either 'path' (a folder on this machine) or 'git_url' (a repository), not both");
  }
  if (const auto why = runner::git::check_url(p.git_url.value_or(""))) throw bad_request(*why);
  if (p.git_ref) {
    if (const auto why = runner::git::check_ref(*p.git_ref)) throw bad_request(*why);
  }
  if (p.git_subdir) {
    if (const auto why = runner::git::check_subdir(*p.git_subdir)) throw bad_request(*why);
  }
}

// Checks a project's fields as a request gave them, and makes its folders canonical. A
// project from git has no folder here: its checkout is checked by check_checkout.
void normalise(store::Project& p) {
  if (p.git_url) {
    check_git_fields(p);
  } else {
    if (p.path.empty()) throw bad_request("'path' is required: the folder of a dbt or SQLMesh project (or 'git_url': a repository)");
    check_path("path", p.path);
  }
  check_path("profiles_dir", p.profiles_dir);
  check_path(p.type, p.executable);
  check_length("target", p.target, common::limits::kTarget);
  if (has_control(p.target)) throw bad_request("field 'target' holds a control character");
  check_env(p.env);
  std::error_code ec;
  if (p.git_url) {
    if (p.type == "sqlmesh" && (!p.profiles_dir.empty() || !p.target.empty())) {
      throw bad_request("profiles_dir and target are dbt settings; a SQLMesh project picks its connection with "
                        "its config's gateways (sqlmesh --gateway NAME in the job's command)");
    }
    if (!p.profiles_dir.empty()) {
      const fs::path profiles = fs::absolute(p.profiles_dir, ec);
      if (ec || !fs::is_directory(profiles)) throw bad_request("--profiles-dir " + common::quote(p.profiles_dir) + " is not a folder");
      p.profiles_dir = fs::canonical(profiles).string();
    }
    return;
  }
  const fs::path path = fs::canonical(p.path, ec);
  if (ec || !fs::is_directory(path)) {
    throw bad_request("no folder at " + common::quote(p.path) + "; pass the path of a dbt or SQLMesh project");
  }
  if (p.type == "sqlmesh" && !has_sqlmesh_config(path)) {
    throw bad_request(common::quote(path.string()) +
                      " has no config.yaml, config.yml or config.py; pass the folder of a SQLMesh project");
  }
  if (p.type == "dbt" && !has_file(path, "dbt_project.yml")) {
    throw bad_request(common::quote(path.string()) +
                      (has_sqlmesh_config(path) ? " is a SQLMesh project (it has SQLMesh's config and no "
                                                  "dbt_project.yml); register it with --type sqlmesh"
                                                : " has no dbt_project.yml; pass the folder of a dbt project (or of a SQLMesh project: "
                                                  "config.yaml or config.py)"));
  }
  if (p.type == "sqlmesh" && (!p.profiles_dir.empty() || !p.target.empty())) {
    throw bad_request("profiles_dir and target are dbt settings; a SQLMesh project picks its connection with "
                      "its config's gateways (sqlmesh --gateway NAME in the job's command)");
  }
  p.path = path.string();
  if (!p.profiles_dir.empty()) {
    const fs::path profiles = fs::absolute(p.profiles_dir, ec);
    if (ec || !fs::is_directory(profiles)) {
      throw bad_request("--profiles-dir " + common::quote(p.profiles_dir) + " is not a folder");
    }
    p.profiles_dir = fs::canonical(profiles).string();
  }
}

// The executable field a request gives must be the one of the project's type.
void check_executable_field(const std::string& type, bool dbt_given, bool sqlmesh_given) {
  if (type == "sqlmesh" && dbt_given) {
    throw bad_request("'dbt' (--dbt) is for dbt projects; this is a SQLMesh project: give its executable as 'sqlmesh' "
                      "(--sqlmesh)");
  }
  if (type == "dbt" && sqlmesh_given) {
    throw bad_request("'sqlmesh' (--sqlmesh) is for SQLMesh projects; this is a dbt project: give its executable as "
                      "'dbt' (--dbt)");
  }
}

// A project's OpenLineage URL goes where a webhook may (docs/openlineage.md); "" turns it off.
void check_openlineage_url(const std::optional<std::string>& url, const DaemonInfo& info) {
  if (!url || url->empty()) return;
  const auto checked = webhooks::check_url(*url, "openlineage_url", webhooks::make_policy(info.allow_webhook_link_local, info.http));
  if (!checked) throw bad_request(checked.error());
}

void apply_patch(store::Project& p, const ProjectPatch& patch) {
  if (patch.type && *patch.type != p.type) {
    throw bad_request("a project's type cannot change (this is a " + std::string(p.type == "sqlmesh" ? "SQLMesh" : "dbt") +
                      " project); remove the project and add it again");
  }
  check_executable_field(p.type, patch.dbt && !patch.dbt->empty(), patch.sqlmesh && !patch.sqlmesh->empty());
  if (patch.path && p.git_url) {
    throw bad_request("this project comes from git (" + runner::git::redact_url(*p.git_url) +
                      "): change its git_ref or git_subdir, or remove it and add the folder");
  }
  if ((patch.git_ref || patch.git_subdir) && !p.git_url) {
    throw bad_request("git_ref and git_subdir are for projects from git; this project is the folder " + p.path);
  }
  if (patch.git_ref) p.git_ref = patch.git_ref->empty() ? std::nullopt : patch.git_ref;
  if (patch.git_subdir) p.git_subdir = patch.git_subdir->empty() ? std::nullopt : patch.git_subdir;
  if (patch.path) p.path = *patch.path;
  if (patch.name) p.name = *patch.name;
  if (patch.profiles_dir) p.profiles_dir = *patch.profiles_dir;
  if (patch.target) p.target = *patch.target;
  if (patch.dbt && p.type == "dbt") p.executable = *patch.dbt;
  if (patch.sqlmesh && p.type == "sqlmesh") p.executable = *patch.sqlmesh;
  if (patch.warm && *patch.warm && p.type == "sqlmesh") {
    throw bad_request("warm workers run dbt; a SQLMesh project's runs always start sqlmesh afresh");
  }
  if (patch.warm) p.warm = *patch.warm;
  if (patch.openlineage_url) p.openlineage_url = *patch.openlineage_url;
  for (const auto& [k, v] : patch.env) {
    if (v) {
      p.env[k] = *v;
    } else {
      p.env.erase(k);
    }
  }
  normalise(p);
  check_name("project name", p.name);
}

// The name a project from git gets without --name: its subfolder's, else its repository's.
std::string name_from_git(const store::Project& p) {
  std::string text = p.git_subdir.value_or("");
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (text.empty()) {
    text = p.git_url.value_or("");
    while (!text.empty() && text.back() == '/') text.pop_back();
    if (text.size() > 4 && text.ends_with(".git")) text.resize(text.size() - 4);
  }
  const auto cut = text.find_last_of("/:");
  return cut == std::string::npos ? text : text.substr(cut + 1);
}

// The folder's type and files, as normalise checks a folder project's.
void check_checkout_folder(store::Project& p, const std::string& folder, bool type_given) {
  if (!type_given) p.type = type_of_folder(folder).value_or("dbt");
  if (p.type == "sqlmesh" && !has_sqlmesh_config(folder)) {
    throw bad_request("the repository's folder " + common::quote(p.git_subdir.value_or(".")) +
                      " has no config.yaml, config.yml or config.py; give --subdir the folder of a SQLMesh project");
  }
  if (p.type == "dbt" && !has_file(folder, "dbt_project.yml")) {
    throw bad_request("the repository's folder " + common::quote(p.git_subdir.value_or(".")) +
                      " has no dbt_project.yml; give --subdir the folder of a dbt project");
  }
}

}  // namespace

std::string Service::checkout_dir(const std::string& project_id) const {
  return common::DataDir(info_.data_dir).checkout(project_id);
}

runner::git::Checkout Service::sync_checkout(const store::Project& p, const std::string& dir) const {
  runner::git::CheckoutOptions options;
  options.timeout = info_.git_timeout;
  for (char** e = environ; e && *e; ++e) options.daemon_env.emplace_back(*e);
  auto checkout = runner::git::sync({dir, p.git_url.value_or(""), p.git_ref.value_or(""), std::nullopt,
                                     p.git_subdir.value_or("")},
                                    options);
  if (!checkout) throw bad_request("could not check out " + runner::git::redact_url(p.git_url.value_or("")) + ": " + checkout.error());
  return std::move(checkout).value();
}

CheckSubject Service::check_subject(const store::Project& p) const {
  CheckSubject s;
  s.path = p.path;
  if (p.git_url) {
    // This daemon's checkout; made when it has none yet (another daemon registered it).
    const std::string dir = checkout_dir(p.id);
    std::error_code ec;
    if (!fs::exists(fs::path(dir) / ".git", ec)) {
      try {
        s.path = sync_checkout(p, dir).project_dir;
      } catch (const UserError&) {
        s.path = dir;  // the checks then say what is missing
      }
    } else {
      s.path = p.git_subdir ? (fs::path(dir) / *p.git_subdir).string() : dir;
    }
  }
  s.profiles_dir = p.profiles_dir;
  s.target = p.target;
  s.type = p.type;
  s.dbt = !p.executable.empty() ? p.executable : p.type == "sqlmesh" ? info_.default_sqlmesh : info_.default_dbt;
  std::vector<std::string> daemon_env;
  for (char** e = environ; e && *e; ++e) daemon_env.emplace_back(*e);
  s.env = runner::inherited_environment(daemon_env, info_.pass_env, info_.sandbox_active);
  for (const auto& [k, v] : p.env) s.env[k] = v;
  return s;
}

void Service::require_checks(const store::Project& p, bool check, const std::string& skip_hint) const {
  if (!check) return;
  const CheckReport report = run_checks(check_subject(p), kDbtVersionTimeout);
  if (report.ok()) return;
  throw UserError(400, "check_failed",
                  "the project check failed: " + report.failures() + ". Fix that, or skip the checks with " + skip_hint);
}

store::Project Service::add_project(const ProjectSpec& spec) {
  if (!spec.git_url.empty()) return add_git_project(spec);
  if (!spec.git_ref.empty() || !spec.git_subdir.empty()) {
    throw bad_request("git_ref and git_subdir need git_url (dagctl project add --git URL)");
  }
  if (!spec.on_every_daemon && others_share_the_store()) {
    throw bad_request("this daemon shares its store with other daemons; a folder exists only on this machine: use "
                      "--git URL, or --on-every-daemon if every daemon has this path");
  }
  store::Project p;
  p.path = spec.path;
  p.profiles_dir = spec.profiles_dir;
  p.target = spec.target;
  p.env = spec.env;
  p.warm = spec.warm;
  check_openlineage_url(spec.openlineage_url, info_);
  p.openlineage_url = spec.openlineage_url;
  if (spec.type) {
    if (*spec.type != "dbt" && *spec.type != "sqlmesh") {
      throw bad_request("type " + common::quote(*spec.type) + " is not a project type; use dbt or sqlmesh");
    }
    p.type = *spec.type;
  } else if (std::error_code ec; !spec.path.empty() && !has_control(spec.path) && fs::is_directory(spec.path, ec)) {
    p.type = type_of_folder(spec.path).value_or("dbt");  // neither: normalise says what is missing
  }
  p.executable = p.type == "sqlmesh" ? spec.sqlmesh : spec.dbt;
  if (p.type == "sqlmesh") p.warm = false;  // warm workers run dbt (docs/runs.md#warm-workers)
  normalise(p);  // first: a folder of the other type says so
  check_executable_field(p.type, !spec.dbt.empty(), !spec.sqlmesh.empty());
  p.id = common::uuid4();
  p.org_id = org_.id;
  p.name = spec.name.value_or(fs::path(p.path).filename().string());
  check_name("project name", p.name);
  p.created_at = common::now();
  refuse_taken_name(p.name);
  require_checks(p, spec.check, "\"check\": false (dagctl project add --no-check)");

  create_with_default_job(p);
  return p;
}

store::Project Service::add_git_project(const ProjectSpec& spec) {
  if (!spec.path.empty()) {
    throw bad_request("give either 'path' (a folder on this machine) or 'git_url' (a repository), not both");
  }
  store::Project p;
  p.git_url = spec.git_url;
  if (!spec.git_ref.empty()) p.git_ref = spec.git_ref;
  if (!spec.git_subdir.empty()) p.git_subdir = spec.git_subdir;
  p.profiles_dir = spec.profiles_dir;
  p.target = spec.target;
  p.env = spec.env;
  p.warm = spec.warm;
  check_openlineage_url(spec.openlineage_url, info_);
  p.openlineage_url = spec.openlineage_url;
  if (spec.type && *spec.type != "dbt" && *spec.type != "sqlmesh") {
    throw bad_request("type " + common::quote(*spec.type) + " is not a project type; use dbt or sqlmesh");
  }
  if (spec.type) p.type = *spec.type;
  normalise(p);  // the URL, ref and subfolder before git sees them
  p.id = common::uuid4();
  p.org_id = org_.id;
  p.name = spec.name.value_or(name_from_git(p));
  check_name("project name", p.name);
  p.created_at = common::now();
  refuse_taken_name(p.name);
  // Cloned once, into the checkout its runs on this daemon will use.
  const std::string dir = checkout_dir(p.id);
  bool keep = false;
  DEFER {
    std::error_code ec;
    if (!keep) fs::remove_all(dir, ec);
    fs::remove(dir + ".git-output", ec);
  };
  const auto checkout = sync_checkout(p, dir);
  check_checkout_folder(p, checkout.project_dir, spec.type.has_value());
  check_executable_field(p.type, !spec.dbt.empty(), !spec.sqlmesh.empty());
  p.executable = p.type == "sqlmesh" ? spec.sqlmesh : spec.dbt;
  if (p.type == "sqlmesh") p.warm = false;
  require_checks(p, spec.check, "\"check\": false (dagctl project add --no-check)");

  create_with_default_job(p);
  keep = true;
  return p;
}

store::Project Service::update_project(const std::string& id_or_name, const ProjectPatch& patch) {
  store::Project candidate = get_project(id_or_name);
  const std::string id = candidate.id;
  if (patch.openlineage_url) check_openlineage_url(*patch.openlineage_url, info_);
  apply_patch(candidate, patch);  // a bad field answers 400 before the checks and the write lock
  if (candidate.git_url && patch.check) {
    // A scratch checkout of the new ref: the project's own may be under a running run.
    const std::string scratch = checkout_dir(id) + ".check-" + common::random_base62(8);
    DEFER {
      std::error_code ec;
      fs::remove_all(scratch, ec);
      fs::remove(scratch + ".git-output", ec);
    };
    const auto checkout = sync_checkout(candidate, scratch);
    check_checkout_folder(candidate, checkout.project_dir, true);
    store::Project at_scratch = candidate;
    at_scratch.git_url.reset();
    at_scratch.path = checkout.project_dir;
    require_checks(at_scratch, true, "\"check\": false (dagctl project update --no-check)");
  } else {
    require_checks(candidate, patch.check, "\"check\": false (dagctl project update --no-check)");
  }
  // Applied again to the row as it is in the transaction: a concurrent change of other
  // fields is never undone.
  return store_call([&] { return store_.projects().update(id, [&](store::Project& p) { apply_patch(p, patch); }); });
}

CheckReport Service::check_project(const std::string& id_or_name) {
  return run_checks(check_subject(get_project(id_or_name)), kDbtVersionTimeout);
}

store::Project Service::get_project(const std::string& id_or_name) {
  auto p = store_.projects().find(id_or_name);
  if (!p) throw not_found("no project " + common::quote(id_or_name) + "; list them with dagctl project list");
  return *p;
}

void Service::remove_project(const std::string& id_or_name) {
  const auto p = get_project(id_or_name);
  store_call([&] { store_.projects().remove(p.id); });
  if (p.git_url) {
    std::error_code ec;  // this daemon's checkout; other daemons' stay until they are cleaned
    fs::remove_all(checkout_dir(p.id), ec);
  }
  jobs_changed();  // its jobs are gone too
}

// Another daemon, alive (a heartbeat within its lease, not stopped), shares this store
// (docs/scale-out.md#projects-every-daemon-can-run): a folder here may be missing there.
bool Service::others_share_the_store() const {
  if (!info_.daemons) return false;
  const auto now = common::now();
  const auto lease = std::chrono::seconds(info_.lease_seconds);
  for (const auto& d : store_call([&] { return info_.daemons(); })) {
    if (d.id != info_.daemon_id && !d.stopped_at && now - d.heartbeat_at <= lease) return true;
  }
  return false;
}

// Before the checks and the clone, which take seconds; the store refuses a name taken meanwhile.
void Service::refuse_taken_name(const std::string& name) {
  if (const auto same = store_.projects().find(name); same && same->name == name) {
    throw conflict("a project named '" + name + "' exists already; pick another --name");
  }
}

// A new project is stored with its job `default` (docs/api.md, Projects).
void Service::create_with_default_job(const store::Project& p) {
  store::Job job;
  job.id = common::uuid4();
  job.project_id = p.id;
  job.name = "default";
  job.command = common::default_command(p.type);
  job.created_at = job.updated_at = p.created_at;
  store_call([&] { store_.projects().create(p, {job}); });
}

}  // namespace dagctl::daemon::service
