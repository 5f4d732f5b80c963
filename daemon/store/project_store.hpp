// Organizations and projects. A project is created together with its jobs (job_store).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::store {

class ProjectStore {
public:
  explicit ProjectStore(Connection& db) : db_(db) {}

  // Creates the default organization on first start; returns it afterwards.
  Organization default_organization();

  // Inserts the project and its jobs together: a project never exists without its default job.
  void create(const Project& project, const std::vector<Job>& jobs);
  std::vector<Project> list();
  std::optional<Project> find(const std::string& id_or_name);
  // Reads the project, lets `edit` change it and writes it back, in one transaction
  // (not_found when it is gone, conflict when the new name is taken). Returns it as written.
  Project update(const std::string& id, const std::function<void(Project&)>& edit);
  // Refuses (conflict) while the project has queued or running runs.
  void remove(const std::string& id);
  // Of `names`, those that are no project's id (left-over folders). One lookup each.
  std::vector<std::string> unknown_ids(const std::vector<std::string>& names);

private:
  Connection& db_;
};

}  // namespace dagctl::daemon::store
