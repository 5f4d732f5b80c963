#include "daemon/webhooks/assets.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/crypto.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/job_fields.hpp"
#include "daemon/webhooks/http_client.hpp"
#include "daemon/webhooks/outbox.hpp"
#include "daemon/webhooks/payload.hpp"

namespace dagctl::daemon::webhooks {

using nlohmann::json;

namespace {

// A run_results.json larger than this is not read for relation names (they are then null).
constexpr std::uintmax_t kMaxRunResultsBytes = 64u << 20;
// Assets asked for per page while looking one up, and how many pages at most: uri_pattern
// is a substring match, so other URIs that contain ours come back too.
constexpr int kAssetsPerPage = 50;
constexpr int kMaxAssetPages = 10;
constexpr std::size_t kAssetListBytes = 4u << 20;

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// What one lookup or post to Airflow got: the answer, or why none came (set in `out`).
using Call = std::function<std::optional<Answer>(const std::string& method, const std::string& url,
                                                 const std::string& body, std::size_t cap)>;

// Why an answer other than 200 to the asset lookup came, for the delivery log.
std::string lookup_failure(int status) {
  std::string text = "looking up the asset answered HTTP " + std::to_string(status);
  if (status == 404) text += " (is airflow_assets_url Airflow 3's base URL, e.g. http://localhost:8080?)";
  if (status == 401) text += " (Airflow 3 needs the job's webhook_auth of type airflow_jwt)";
  if (status == 403) text += " (the webhook_auth user may not read assets)";
  return text;
}

}  // namespace

std::string asset_uri(const store::Project& project, const store::NodeRecord& node) {
  if (project.type == "sqlmesh") return "sqlmesh://" + percent_encode(project.name) + "/" + percent_encode(node.name);
  return "dbt://" + percent_encode(project.name) + "/" + percent_encode(node.unique_id);
}

bool built(const std::string& project_type, const store::NodeRecord& node) {
  if (project_type == "sqlmesh") return node.resource_type == "model" && (node.status == "success" || node.status == "warn");
  const bool relation = node.resource_type == "model" || node.resource_type == "seed" || node.resource_type == "snapshot";
  return relation && node.status == "success";
}

std::map<std::string, std::string> read_relation_names(const std::string& run_dir) {
  std::map<std::string, std::string> names;
  const auto path = std::filesystem::path(run_dir) / "target" / "run_results.json";
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxRunResultsBytes) return names;
  std::ifstream in(path);
  const auto results = json::parse(in, nullptr, false);
  if (!results.is_object() || !results.contains("results") || !results["results"].is_array()) return names;
  for (const auto& r : results["results"]) {
    if (!r.is_object()) continue;
    const auto id = r.find("unique_id");
    const auto relation = r.find("relation_name");
    if (id != r.end() && id->is_string() && relation != r.end() && relation->is_string()) names[*id] = *relation;
  }
  return names;
}

std::vector<store::Delivery> asset_owed(const RunContext& c, const store::Run& finished) {
  std::vector<store::Delivery> owed;
  if (!c.job.airflow_assets_url || c.job.airflow_assets_url->empty()) return owed;
  std::size_t left_out = 0;
  for (const auto& node : c.nodes) {
    if (!built(c.project.type, node)) continue;
    if (owed.size() == kMaxAssetEventsPerRun) {
      ++left_out;
      continue;
    }
    const auto relation = c.relations.find(node.unique_id);
    const json extra = {
        {"dagctl_run_id", finished.id},
        {"job", c.job.name},
        {"project", c.project.name},
        {"unique_id", node.unique_id},
        {"relation_name", relation != c.relations.end() ? json(relation->second) : json(nullptr)},
        {"status", node.status},
        {"execution_time", node.execution_time ? json(*node.execution_time) : json(nullptr)},
    };
    const json body = {{"uri", asset_uri(c.project, node)}, {"extra", extra}};
    owed.push_back(new_delivery(c.job, store::delivery_kind::airflow_asset, kAssetEvent, *c.job.airflow_assets_url,
                                render_body(body)));
  }
  if (left_out > 0) {
    spdlog::warn("run {}: {} models built past the first {} get no Airflow asset event (docs/airflow.md#per-model-assets)",
                 finished.id, left_out, kMaxAssetEventsPerRun);
  }
  return owed;
}

AttemptOutcome attempt_asset_event(const store::Delivery& d, const store::Job& job, const SenderOptions& options,
                                   const AirflowTokenSource& token) {
  Attempt current(options.clock());
  auto& out = current.out;
  auto finish = [&] { return current.finish(); };
  auto refuse = [&](std::string error) { return current.refuse(std::move(error)); };
  const auto body = json::parse(d.body, nullptr, false);
  if (!body.is_object() || !body.contains("uri") || !body["uri"].is_string() || !body.contains("extra") ||
      !body["extra"].is_object()) {
    return refuse("this delivery cannot be sent: its body has no asset uri and extra");
  }
  const std::string uri = body["uri"];
  const auto base = check_url(d.url, "airflow_assets_url", options.targets);
  if (!base) return refuse(base.error());
  try {
    (void)service::parse_webhook_auth(job.webhook_auth, options.targets);
  } catch (const service::UserError& e) {
    return refuse(e.what());
  }
  const auto resolved = resolve(*base, "airflow_assets_url", options.targets);
  if (!resolved.error.empty()) {
    out.retryable = !resolved.refused;  // a DNS failure may pass
    return refuse(resolved.error);
  }
  std::string root = d.url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  const std::string auth_type = job.webhook_auth.is_object() ? job.webhook_auth.value("type", "") : "";

  // One request with the job's auth; a JWT refused once is fetched again (it may have expired early).
  const Call call = [&](const std::string& method, const std::string& url_text, const std::string& payload,
                        std::size_t cap) -> std::optional<Answer> {
    const auto url = parse_url(url_text, "airflow_assets_url");
    if (!url) {
      out.attempt.error = url.error();
      return std::nullopt;
    }
    for (int round = 0;; ++round) {
      httplib::Headers headers{{"User-Agent", options.user_agent}, {"X-Dagctl-Delivery", d.id}};
      if (auth_type == "airflow_jwt") {
        std::string error;
        bool retry = true;
        const auto jwt = token(job.webhook_auth, /*refresh=*/round > 0, error, retry);
        if (!jwt) {
          out.retryable = retry;
          out.attempt.error = error;
          return std::nullopt;
        }
        headers.emplace("Authorization", "Bearer " + *jwt);
      } else if (auth_type == "basic") {
        headers.emplace("Authorization", "Basic " + common::base64_encode(job.webhook_auth.value("username", "") + ":" +
                                                                          job.webhook_auth.value("password", "")));
      }
      auto res = request(method, *url, resolved.addresses, headers, payload, cap, options);
      const int s = res.status.value_or(0);
      if (auth_type == "airflow_jwt" && round == 0 && (s == 401 || s == 403)) continue;
      if (res.error) {
        out.attempt.error = error_text(*res.error);
        out.retryable = retryable(*res.error);
        return std::nullopt;
      }
      out.attempt.status_code = s;
      out.retryable = s >= 500 || s == 429;
      if ((s == 429 || s == 503) && !res.retry_after.empty()) out.retry_after = parse_retry_after(res.retry_after, options.clock());
      return res;
    }
  };

  // The asset's id: Airflow 3's event API takes an id, not a URI.
  std::optional<std::int64_t> asset_id;
  for (int page = 0; page < kMaxAssetPages && !asset_id; ++page) {
    const auto res = call("GET",
                          root + "/api/v2/assets?uri_pattern=" + percent_encode(uri) +
                              "&limit=" + std::to_string(kAssetsPerPage) + "&offset=" + std::to_string(page * kAssetsPerPage),
                          "", kAssetListBytes);
    if (!res) return finish();
    if (res->status != 200) {
      out.attempt.response_excerpt = res->body.substr(0, kResponseExcerptBytes);
      return refuse(lookup_failure(*res->status));
    }
    out.retryable = false;
    const auto list = res->body_over_cap ? json() : json::parse(res->body, nullptr, false);
    if (!list.is_object() || !list.contains("assets") || !list["assets"].is_array()) {
      out.attempt.response_excerpt = res->body.substr(0, kResponseExcerptBytes);
      return refuse(res->body_over_cap ? "Airflow's asset list is over 4 MiB"
                                       : "Airflow's answer to GET /api/v2/assets is not an asset list (is airflow_assets_url Airflow 3's?)");
    }
    for (const auto& a : list["assets"]) {
      if (a.is_object() && a.value("uri", json()) == uri && a.contains("id") && a["id"].is_number_integer() &&
          a["id"].get<std::int64_t>() > 0) {  // Airflow's ids are positive; 2^64-1 would read as -1
        asset_id = a["id"].get<std::int64_t>();
        break;
      }
    }
    const auto total = list.value("total_entries", json());
    if (!total.is_number_integer() || total.get<std::int64_t>() <= (page + 1) * kAssetsPerPage) break;
  }
  if (!asset_id) return refuse("no asset " + uri + " in Airflow: no DAG is scheduled on it");

  const json event = {{"asset_id", *asset_id}, {"extra", body["extra"]}};
  const auto res = call("POST", root + "/api/v2/assets/events", render_body(event), kResponseExcerptBytes);
  if (!res) return finish();
  out.attempt.response_excerpt = res->body;
  out.delivered = *res->status >= 200 && *res->status < 300;
  if (*res->status == 401 || *res->status == 403) {
    out.attempt.error = "posting the asset event answered HTTP " + std::to_string(*res->status) +
                        " (the webhook_auth user may not create asset events: Airflow's simple auth manager wants role op or admin)";
  }
  return finish();
}

}  // namespace dagctl::daemon::webhooks
