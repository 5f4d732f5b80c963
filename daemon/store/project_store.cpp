#include "daemon/store/project_store.hpp"

#include "common/random.hpp"
#include "daemon/store/errors.hpp"
#include "daemon/store/job_store.hpp"
#include "daemon/store/sql.hpp"

namespace dagctl::daemon::store {

namespace {

const std::string kColumns = "id, org_id, name, type, path, profiles_dir, target, dbt, env_json, created_at, warm, openlineage_url";
const std::string kSelect = "SELECT " + kColumns + " FROM projects";

Project read_project(Statement& s) {
  Project p;
  p.id = s.getColumn("id").getString();
  p.org_id = s.getColumn("org_id").getString();
  p.name = s.getColumn("name").getString();
  p.type = s.getColumn("type").getString();
  p.path = s.getColumn("path").getString();
  p.profiles_dir = s.getColumn("profiles_dir").getString();
  p.target = s.getColumn("target").getString();
  p.executable = s.getColumn("dbt").getString();
  p.env = nlohmann::json::parse(s.getColumn("env_json").getString()).get<std::map<std::string, std::string>>();
  p.created_at = sql::time(s.getColumn("created_at"));
  p.warm = s.getColumn("warm").getInt() != 0;
  p.openlineage_url = sql::opt_text(s.getColumn("openlineage_url"));
  return p;
}

}  // namespace

Organization ProjectStore::default_organization() {
  WriteTx tx(db_);
  {
    auto select = tx.statement("SELECT id, name FROM organizations ORDER BY created_at LIMIT 1");
    if (select->executeStep()) return {select->getColumn("id").getString(), select->getColumn("name").getString()};
  }
  Organization org{"org-" + common::random_base62(12), "default"};
  auto insert = tx.statement("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)");
  insert->bind(1, org.id);
  insert->bind(2, org.name);
  insert->bind(3, common::to_millis(common::now()));
  insert->exec();
  tx.commit();
  return org;
}

void ProjectStore::create(const Project& p, const std::vector<Job>& jobs) {
  WriteTx tx(db_);
  auto insert = tx.statement("INSERT INTO projects (" + kColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert->bind(1, p.id);
  insert->bind(2, p.org_id);
  insert->bind(3, p.name);
  insert->bind(4, p.type);
  insert->bind(5, p.path);
  insert->bind(6, p.profiles_dir);
  insert->bind(7, p.target);
  insert->bind(8, p.executable);
  insert->bind(9, nlohmann::json(p.env).dump());
  insert->bind(10, common::to_millis(p.created_at));
  insert->bind(11, p.warm ? 1 : 0);
  sql::bind_opt(*insert, 12, p.openlineage_url);
  try {
    insert->exec();
  } catch (const DatabaseError& e) {
    if (e.unique_violation()) {
      throw StoreError(StoreError::Kind::conflict,
                       "a project named '" + p.name + "' exists already; pick another --name");
    }
    throw;
  }
  for (const Job& j : jobs) JobStore::insert(tx, j);
  tx.commit();
}

std::vector<Project> ProjectStore::list() {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " ORDER BY name");
  std::vector<Project> out;
  while (s->executeStep()) out.push_back(read_project(*s));
  return out;
}

std::optional<Project> ProjectStore::find(const std::string& id_or_name) {
  ReadLock lock(db_);
  auto s = lock.statement(kSelect + " WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1");
  s->bind(1, id_or_name);
  if (!s->executeStep()) return std::nullopt;
  return read_project(*s);
}

Project ProjectStore::update(const std::string& id, const std::function<void(Project&)>& edit) {
  WriteTx tx(db_);
  Project p;
  {
    auto select = tx.statement(kSelect + " WHERE id = ?");
    select->bind(1, id);
    if (!select->executeStep()) throw StoreError(StoreError::Kind::not_found, "no project with id " + id);
    p = read_project(*select);
  }
  edit(p);
  auto write = tx.statement("UPDATE projects SET name = ?2, path = ?3, profiles_dir = ?4, target = ?5, dbt = ?6, "
                            "env_json = ?7, warm = ?8, openlineage_url = ?9 WHERE id = ?1");
  write->bind(1, id);
  write->bind(2, p.name);
  write->bind(3, p.path);
  write->bind(4, p.profiles_dir);
  write->bind(5, p.target);
  write->bind(6, p.executable);
  write->bind(7, nlohmann::json(p.env).dump());
  write->bind(8, p.warm ? 1 : 0);
  sql::bind_opt(*write, 9, p.openlineage_url);
  try {
    write->exec();
  } catch (const DatabaseError& e) {
    if (e.unique_violation()) {
      throw StoreError(StoreError::Kind::conflict,
                       "a project named '" + p.name + "' exists already; pick another --name");
    }
    throw;
  }
  tx.commit();
  return p;
}

void ProjectStore::remove(const std::string& id) {
  WriteTx tx(db_);
  {
    auto active = tx.statement("SELECT COUNT(*) FROM runs WHERE project_id = ? AND status IN ('queued','running')");
    active->bind(1, id);
    active->executeStep();
    if (active->getColumn(0).getInt() > 0) {
      throw StoreError(StoreError::Kind::conflict,
                       "the project has queued or running runs; cancel them first (dagctl cancel RUN)");
    }
  }
  auto del = tx.statement("DELETE FROM projects WHERE id = ?");
  del->bind(1, id);
  if (del->exec() == 0) throw StoreError(StoreError::Kind::not_found, "no project with id " + id);
  tx.commit();
}

std::vector<std::string> ProjectStore::unknown_ids(const std::vector<std::string>& names) {
  return store::unknown_ids(db_, "SELECT 1 FROM projects WHERE id = ?", names);
}

}  // namespace dagctl::daemon::store
