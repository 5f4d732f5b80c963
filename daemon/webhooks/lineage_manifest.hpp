// What OpenLineage events take from a dbt run's target/manifest.json (docs/openlineage.md):
// read by Outbox::owed_for before the run's end transaction, bounded, and kept small.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace dagctl::daemon::webhooks {

// One model, seed, snapshot or source: the relation it names and, for models, its SQL.
struct LineageNode {
  std::string unique_id;
  std::string resource_type;  // model, seed, snapshot, source
  std::string package;
  std::string name;
  std::string database;
  std::string schema;
  std::string relation;  // alias (or a source's identifier)
  std::string original_file_path;
  std::string compiled_sql;  // empty when absent or over kMaxLineageSql
  std::vector<std::string> depends_on;
};

struct LineageManifest {
  bool read = false;  // false: no manifest (a SQLMesh run, dbt stopped early) or `note` says why
  std::string note;   // e.g. "manifest.json is 70 MiB, over the 64 MiB cap: datasets omitted"
  std::string adapter_type;
  std::string dbt_version;
  std::string invocation_id;
  std::string project_name;
  std::map<std::string, LineageNode> nodes;  // by unique_id
};

constexpr std::size_t kMaxLineageManifest = 64u << 20;
constexpr std::size_t kMaxLineageSql = 64u << 10;

// Reads `path` (absent: read = false, no note); a file over `max_bytes` or not a manifest
// leaves a note instead of nodes.
LineageManifest read_lineage_manifest(const std::string& path, std::size_t max_bytes = kMaxLineageManifest);
// The same from the file's text (tests).
LineageManifest parse_lineage_manifest(const std::string& text);

}  // namespace dagctl::daemon::webhooks
