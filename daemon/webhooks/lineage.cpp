#include "daemon/webhooks/lineage.hpp"

#include <cstdio>

#include "common/crypto.hpp"
#include "daemon/webhooks/outbox.hpp"

namespace dagctl::daemon::webhooks {

namespace {

using nlohmann::json;

constexpr const char* kProducer = "https://github.com/dagctl/dagctl/tree/v" DAGCTL_VERSION;
constexpr const char* kDagctlFacetSchema =
    "https://github.com/dagctl/dagctl/blob/v" DAGCTL_VERSION "/docs/openlineage.md#the-dagctl_run-facet";
constexpr const char* kDbtFacets =
    "https://raw.githubusercontent.com/OpenLineage/OpenLineage/main/integration/common/openlineage/common/schema/";
constexpr std::size_t kMaxErrorMessage = 4096;

json facet(const std::string& schema_url, json fields) {
  fields["_producer"] = kProducer;
  fields["_schemaURL"] = schema_url;
  return fields;
}
json spec_facet(const char* version_and_name, const char* def, json fields) {
  return facet(std::string("https://openlineage.io/spec/facets/") + version_and_name + ".json#/$defs/" + def,
               std::move(fields));
}

std::string job_namespace(const RunContext& c) {
  return c.options && !c.options->openlineage_namespace.empty() ? c.options->openlineage_namespace : "dagctl";
}
std::string run_job_name(const RunContext& c) { return c.project.name + "." + c.job.name; }
bool is_sqlmesh(const RunContext& c) { return c.project.type == "sqlmesh"; }
std::string run_uuid(const store::Run& run) {
  return lineage_uuid(run.start_time.value_or(run.created_at), "dagctl run " + run.id);
}

// OpenLineage's dataset naming (docs/openlineage.md#dataset-names).
std::string dataset_namespace(const std::string& adapter, const std::string& database) {
  if (adapter == "bigquery") return "bigquery";
  return (adapter.empty() ? std::string("dbt") : adapter) + "://" + database;
}
json dataset(const LineageManifest& m, const LineageNode& n) {
  std::string name;
  for (const std::string* part : {&n.database, &n.schema, &n.relation}) {
    if (part->empty()) continue;
    if (!name.empty()) name += ".";
    name += *part;
  }
  return {{"namespace", dataset_namespace(m.adapter_type, n.database)}, {"name", name}};
}

json engine_facets(const RunContext& c) {
  json facets = json::object();
  const LineageManifest* m = c.manifest.get();
  if (is_sqlmesh(c) || !m || m->dbt_version.empty()) return facets;
  facets["processing_engine"] = spec_facet("1-1-1/ProcessingEngineRunFacet", "ProcessingEngineRunFacet",
                                           {{"name", "dbt"}, {"version", m->dbt_version},
                                            {"openlineageAdapterVersion", DAGCTL_VERSION}});
  facets["dbt_version"] = facet(std::string(kDbtFacets) + "dbt-version-run-facet.json#/$defs/DbtVersionRunFacet",
                                {{"version", m->dbt_version}});
  return facets;
}

json job_type(const RunContext& c, const std::string& type) {
  return spec_facet("2-0-4/JobTypeJobFacet", "JobTypeJobFacet",
                    {{"processingType", "BATCH"}, {"integration", is_sqlmesh(c) ? "SQLMESH" : "DBT"}, {"jobType", type}});
}

json error_facet(const std::string& message) {
  return spec_facet("1-0-1/ErrorMessageRunFacet", "ErrorMessageRunFacet",
                    {{"message", message.substr(0, kMaxErrorMessage)}, {"programmingLanguage", "SQL"}});
}

json event(const char* type, common::TimePoint at, std::string run_id, json run_facets, std::string job_name,
           const RunContext& c, json job_facets) {
  return {{"eventType", type},
          {"eventTime", common::to_rfc3339(at)},
          {"producer", kProducer},
          {"schemaURL", kOpenLineageSchema},
          {"run", {{"runId", std::move(run_id)}, {"facets", std::move(run_facets)}}},
          {"job", {{"namespace", job_namespace(c)}, {"name", std::move(job_name)}, {"facets", std::move(job_facets)}}},
          {"inputs", json::array()},
          {"outputs", json::array()}};
}

// A body over the cap loses the SQL facet first, then its input datasets (docs/openlineage.md#bounds).
std::string render(json body) {
  auto text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxLineageBody) {
    body["job"]["facets"].erase("sql");
    text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  while (text.size() > kMaxLineageBody && !body["inputs"].empty()) {
    body["inputs"].erase(body["inputs"].size() - 1);
    text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return text;
}

store::Delivery delivery(const RunContext& c, const json& body) {
  return new_delivery(c.job, store::delivery_kind::openlineage, "lineage." + body["eventType"].get<std::string>(),
                      lineage_endpoint(lineage_target(c)), render(body));
}

const char* run_end_type(common::RunStatus status) {
  switch (status) {
    case common::RunStatus::success: return "COMPLETE";
    case common::RunStatus::cancelled: return "ABORT";
    default: return "FAIL";  // partial, failed, error: some of what it should build is not built
  }
}

const char* node_end_type(const std::string& status) {
  if (status == "success" || status == "pass" || status == "warn" || status == "no-op") return "COMPLETE";
  if (status == "error" || status == "fail" || status == "runtime error") return "FAIL";
  return "ABORT";  // skipped, interrupted, running (the run ended under it)
}

bool is_model_node(const RunContext& c, const store::NodeRecord& n) {
  if (is_sqlmesh(c)) return n.resource_type == "model";
  return n.resource_type == "model" || n.resource_type == "seed" || n.resource_type == "snapshot";
}

std::string upper(std::string text) {
  for (auto& ch : text) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  return text;
}

// A model's START and end events, parented to the run.
void model_events(const RunContext& c, const store::Run& run, const store::NodeRecord& node, std::vector<store::Delivery>& out) {
  const common::TimePoint run_end = run.end_time.value_or(common::now());
  const common::TimePoint ended = node.finished_at.value_or(run_end);
  const common::TimePoint started = node.started_at.value_or(ended);
  const std::string id = lineage_uuid(started, "dagctl run " + run.id + " node " + node.unique_id);

  const LineageManifest* m = c.manifest.get();
  const LineageNode* found = nullptr;
  if (m) {
    if (const auto it = m->nodes.find(node.unique_id); it != m->nodes.end()) found = &it->second;
  }
  std::string name = c.project.name + "." + node.name;
  json job_facets = {{"jobType", job_type(c, upper(node.resource_type))}};
  json inputs = json::array(), outputs = json::array();
  if (found) {
    name = found->database + "." + found->schema + "." + found->package + "." + found->name;
    if (!found->compiled_sql.empty()) {
      job_facets["sql"] = spec_facet("1-1-0/SQLJobFacet", "SQLJobFacet",
                                     {{"query", found->compiled_sql}, {"dialect", m->adapter_type}});
    }
    job_facets["dbt_node"] = facet(std::string(kDbtFacets) + "dbt-node-job-facet.json#/$defs/DbtNodeJobFacet",
                                   {{"unique_id", found->unique_id}, {"database", found->database},
                                    {"schema", found->schema}, {"alias", found->relation},
                                    {"original_file_path", found->original_file_path}});
    outputs.push_back(dataset(*m, *found));
    for (const auto& dep : found->depends_on) {
      if (const auto it = m->nodes.find(dep); it != m->nodes.end()) inputs.push_back(dataset(*m, it->second));
    }
  }
  json facets = engine_facets(c);
  facets["parent"] = spec_facet("1-2-0/ParentRunFacet", "ParentRunFacet",
                                {{"run", {{"runId", run_uuid(run)}}},
                                 {"job", {{"namespace", job_namespace(c)}, {"name", run_job_name(c)}}}});
  for (const char* type : {"START", node_end_type(node.status)}) {
    const bool start = std::string_view(type) == "START";
    json run_facets = facets;
    if (std::string_view(type) == "FAIL") {
      run_facets["errorMessage"] = error_facet(node.message.value_or("the model ended " + node.status));
    }
    json body = event(type, start ? started : ended, id, std::move(run_facets), name, c, job_facets);
    body["inputs"] = inputs;
    body["outputs"] = outputs;
    out.push_back(delivery(c, body));
  }
}

}  // namespace

std::string lineage_target(const RunContext& c) {
  if (c.project.openlineage_url) return *c.project.openlineage_url;
  return c.options ? c.options->openlineage_url : std::string();
}

std::string lineage_endpoint(const std::string& url) {
  const auto scheme = url.find("://");
  const auto path = scheme == std::string::npos ? std::string::npos : url.find_first_of("/?#", scheme + 3);
  if (path == std::string::npos) return url + "/api/v1/lineage";
  if (url.compare(path, std::string::npos, "/") == 0) return url.substr(0, path) + "/api/v1/lineage";
  return url;
}

std::string lineage_uuid(common::TimePoint at, std::string_view key) {
  const auto ms = static_cast<unsigned long long>(common::to_millis(at)) & 0xFFFFFFFFFFFFull;
  const std::string h = common::sha256_hex(key);
  char time[13];
  std::snprintf(time, sizeof time, "%012llx", ms);
  const char variant = "89ab"[std::stoi(h.substr(3, 1), nullptr, 16) & 3];
  return std::string(time, 8) + "-" + std::string(time + 8, 4) + "-7" + h.substr(0, 3) + "-" + variant +
         h.substr(4, 3) + "-" + h.substr(7, 12);
}

std::vector<store::Delivery> lineage_started(const RunContext& c, const store::Run& started) {
  if (lineage_target(c).empty() || !started.start_time) return {};
  json body = event("START", *started.start_time, run_uuid(started), json::object(), run_job_name(c), c,
                    {{"jobType", job_type(c, "JOB")}});
  body["run"]["facets"]["dagctl_run"] = facet(kDagctlFacetSchema, {{"run_id", started.id},
                                                                   {"job_id", started.job_id},
                                                                   {"triggered_by", started.triggered_by},
                                                                   {"command", started.command}});
  return {delivery(c, body)};
}

std::vector<store::Delivery> lineage_owed(const RunContext& c, const store::Run& finished) {
  // A run that never started sent no START, so it owes no end either.
  if (lineage_target(c).empty() || !finished.start_time) return {};
  std::vector<store::Delivery> out;
  std::size_t models = 0, omitted = 0;
  for (const auto& node : c.nodes) {
    if (!is_model_node(c, node)) continue;
    if (models++ >= kMaxLineageModels) {
      ++omitted;
      continue;
    }
    model_events(c, finished, node, out);
  }
  const char* type = run_end_type(finished.status);
  json facets = engine_facets(c);
  if (std::string_view(type) == "FAIL") {
    facets["errorMessage"] = error_facet(finished.error_message.value_or(
        "the run ended " + std::string(common::to_string(finished.status))));
  }
  const LineageManifest* m = c.manifest.get();
  if (m && !m->invocation_id.empty()) {
    facets["dbt_run"] = facet(std::string(kDbtFacets) + "dbt-run-run-facet.json#/$defs/DbtRunRunFacet",
                              {{"invocation_id", m->invocation_id}, {"project_name", m->project_name}});
  }
  json dagctl = {{"run_id", finished.id},
                 {"job_id", finished.job_id},
                 {"triggered_by", finished.triggered_by},
                 {"command", finished.command},
                 {"status", std::string(common::to_string(finished.status))}};
  if (m && !m->note.empty()) dagctl["manifest"] = m->note;
  if (omitted > 0) dagctl["models_omitted"] = omitted;
  facets["dagctl_run"] = facet(kDagctlFacetSchema, std::move(dagctl));
  const json body = event(type, finished.end_time.value_or(common::now()), run_uuid(finished), std::move(facets),
                          run_job_name(c), c, {{"jobType", job_type(c, "JOB")}});
  out.push_back(delivery(c, body));
  return out;
}

}  // namespace dagctl::daemon::webhooks
