#include "daemon/webhooks/lineage_manifest.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace dagctl::daemon::webhooks {

namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void add_nodes(LineageManifest& m, const json& section) {
  if (!section.is_object()) return;
  for (const auto& [id, node] : section.items()) {
    if (!node.is_object()) continue;
    LineageNode n;
    n.unique_id = id;
    n.resource_type = text_of(node, "resource_type");
    if (n.resource_type != "model" && n.resource_type != "seed" && n.resource_type != "snapshot" &&
        n.resource_type != "source") {
      continue;
    }
    n.package = text_of(node, "package_name");
    n.name = text_of(node, "name");
    n.database = text_of(node, "database");
    n.schema = text_of(node, "schema");
    n.relation = n.resource_type == "source" ? text_of(node, "identifier") : text_of(node, "alias");
    if (n.relation.empty()) n.relation = n.name;
    n.original_file_path = text_of(node, "original_file_path");
    // Cut SQL would mislead: a query over the cap is left out (docs/openlineage.md#bounds).
    if (auto sql = text_of(node, "compiled_code"); sql.size() <= kMaxLineageSql) n.compiled_sql = std::move(sql);
    if (const auto deps = node.find("depends_on"); deps != node.end() && deps->is_object()) {
      if (const auto ids = deps->find("nodes"); ids != deps->end() && ids->is_array()) {
        for (const auto& dep : *ids) {
          if (dep.is_string()) n.depends_on.push_back(dep.get<std::string>());
        }
      }
    }
    m.nodes.emplace(id, std::move(n));
  }
}

}  // namespace

LineageManifest parse_lineage_manifest(const std::string& text) {
  LineageManifest m;
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    m.note = "target/manifest.json is not JSON: datasets omitted";
    return m;
  }
  m.read = true;
  if (const auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
    m.adapter_type = text_of(*meta, "adapter_type");
    m.dbt_version = text_of(*meta, "dbt_version");
    m.invocation_id = text_of(*meta, "invocation_id");
    m.project_name = text_of(*meta, "project_name");
  }
  if (const auto nodes = doc.find("nodes"); nodes != doc.end()) add_nodes(m, *nodes);
  if (const auto sources = doc.find("sources"); sources != doc.end()) add_nodes(m, *sources);
  return m;
}

LineageManifest read_lineage_manifest(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return {};
  if (size > max_bytes) {
    LineageManifest m;
    m.note = "target/manifest.json is " + std::to_string(size >> 20) + " MiB, over the " +
             std::to_string(max_bytes >> 20) + " MiB cap: datasets omitted";
    return m;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) return {};
  return parse_lineage_manifest(text);
}

}  // namespace dagctl::daemon::webhooks
