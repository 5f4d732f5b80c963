// The layout of the data dir (docs/storage.md): every path the daemon and the CLI use inside
// DATA_DIR comes from here, so that the executor writes, the API serves and retention deletes
// the same folders, and nothing else.
#pragma once

#include <string>

namespace dagctl::common {

class DataDir {
public:
  explicit DataDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string database() const { return root_ + "/dagctl.db"; }
  std::string lock_file() const { return root_ + "/dagctld.lock"; }   // one daemon per data dir
  std::string ready_file() const { return root_ + "/dagctld.json"; }  // written once dagctld serves
  std::string daemon_id_file() const { return root_ + "/daemon-id"; }  // this data dir's daemon id, made once
  std::string daemon_log() const { return root_ + "/dagctld.log"; }   // `dagctl daemon start`'s log
  std::string settings_file() const { return root_ + "/settings.json"; }  // the settings dagctld last started with
  std::string webhook_ca_bundle() const { return root_ + "/webhook-ca-bundle.pem"; }  // --webhook-ca-file + the system's

  // runs/<run id>/: one folder per run, removed with the run by retention.
  std::string runs() const { return root_ + "/runs"; }
  std::string run(const std::string& run_id) const { return runs() + "/" + run_id; }
  std::string run_log(const std::string& run_id) const { return run(run_id) + "/output.log"; }
  std::string run_target(const std::string& run_id) const { return run(run_id) + "/target"; }  // dbt's target path
  std::string run_dbt_logs(const std::string& run_id) const { return run(run_id) + "/logs"; }  // dbt's log path

  // projects/<project id>/: what one run leaves the next (dbt's partial parse).
  std::string projects() const { return root_ + "/projects"; }
  std::string project_state(const std::string& project_id) const { return projects() + "/" + project_id; }

  // warm/<project id>/: the project's warm dbt worker (docs/runs.md#warm-workers): its own
  // parse in parse/, and runs/<run id>/{target,logs,state} while a warm run is going; the
  // run's end moves target/ and logs/ into runs/<run id>/. A sandboxed worker can write
  // only here, so it never sees another project's runs.
  std::string warm() const { return root_ + "/warm"; }
  std::string warm_project(const std::string& project_id) const { return warm() + "/" + project_id; }
  std::string warm_run(const std::string& project_id, const std::string& run_id) const {
    return warm_project(project_id) + "/runs/" + run_id;
  }
  std::string warm_log(const std::string& project_id) const { return warm_project(project_id) + "/worker.log"; }

  // checkouts/<project id>/: this daemon's own git checkout of a project from git
  // (docs/api.md#projects-from-git); each daemon sharing a store keeps its own.
  std::string checkouts() const { return root_ + "/checkouts"; }
  std::string checkout(const std::string& project_id) const { return checkouts() + "/" + project_id; }

private:
  std::string root_;
};

}  // namespace dagctl::common
