// Runs: list and page, show, cancel, retry, and a run's log and artifacts.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <ios>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/data_dir.hpp"
#include "common/limits.hpp"
#include "common/since.hpp"
#include "daemon/api/artifacts.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/log_stream.hpp"
#include "daemon/api/routes.hpp"
#include "daemon/api/run_list_params.hpp"
#include "daemon/api/views.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

using nlohmann::json;

namespace {

// "failed,error" -> both; an unknown word is a 400 that names it.
std::vector<common::RunStatus> status_list(const std::string& text) {
  return parse_word_list(text, [](std::string_view word) {
    const auto status = common::parse_run_status(word);
    if (!status) {
      throw service::bad_request("unknown status " + common::quote(word) +
                                 "; use queued, running, success, partial, failed, error or cancelled "
                                 "(several: status=failed,error)");
    }
    return *status;
  });
}

// Run ids are URL-safe; a prefix names a run only from 6 characters on (docs/api.md).
std::string id_prefix(const std::string& text) {
  constexpr size_t kMinPrefix = 6;
  constexpr size_t kMaxPrefix = 64;
  const bool url_safe = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
  });
  if (text.size() < kMinPrefix || text.size() > kMaxPrefix || !url_safe) {
    throw service::bad_request("'id_prefix' must be 6 to 64 characters of a run id (letters, digits, - _ . ~); got " +
                               common::quote(text));
  }
  return text;
}

// "error,fail" -> both: dbt's node statuses and ours (docs/runs.md, Node records).
std::vector<std::string> node_status_list(const std::string& text) {
  static const std::vector<std::string_view> kKnown = {"success", "error",   "fail",          "warn",
                                                       "pass",    "skipped", "no-op",         "running",
                                                       "interrupted", "runtime error", "partial success", "reused"};
  return parse_word_list(text, [](std::string_view word) {
    if (std::find(kKnown.begin(), kKnown.end(), word) == kKnown.end()) {
      throw service::bad_request("unknown node status " + common::quote(word) +
                                 "; use success, error, fail, warn, pass, skipped, no-op, running or interrupted "
                                 "(several: status=error,fail)");
    }
    return std::string(word);
  });
}

// A run whose artifacts this daemon has; 409 naming the daemon that has them when it ran
// elsewhere (docs/scale-out.md#logs-and-artifacts).
store::Run local_run(service::Service& service, const std::string& data_dir, const std::string& run_id) {
  auto run = service.get_run(run_id);
  std::error_code ec;
  if (service.ran_elsewhere(run) && !std::filesystem::exists(common::DataDir(data_dir).run(run.id), ec)) {
    throw service.kept_elsewhere(run, "its artifacts");
  }
  return run;
}

json run_with_nodes(service::Service& service, const store::Run& r) {
  const auto summaries = service.node_summaries({r.id});
  const auto it = summaries.find(r.id);
  return run_json(r, service.progress(r), it == summaries.end() ? nullptr : &it->second);
}

}  // namespace

void register_run_routes(RouteTable& table, service::Service& service, const std::string& data_dir) {
  const std::string run = "/api/v1/runs/{run_id}";
  table.add("GET", "/api/v1/runs", Scope::read, [&service](const Call& call, httplib::Response& res, const PathParams&) {
    store::RunFilter filter;
    filter.job_id = query_param(call, "job_id");
    filter.project_id = query_param(call, "project_id");
    if (filter.project_id) filter.project_id = service.get_project(*filter.project_id).id;
    if (auto status = query_param(call, "status")) filter.statuses = status_list(*status);
    if (auto since = query_param(call, "since")) {
      filter.created_since = common::parse_since(*since, common::now());
      if (!filter.created_since) {
        throw service::bad_request("'since' must be an RFC 3339 time such as 2026-12-06T10:00:00Z or an age such "
                                   "as 90m, 24h or 7d (at most 10 years back); got " + common::quote(*since));
      }
    }
    if (auto triggers = query_param(call, "triggered_by")) filter.triggered_by = parse_trigger_list(*triggers);
    if (auto until = query_param(call, "until")) filter.created_until = parse_until(*until, common::now());
    if (auto prefix = query_param(call, "id_prefix")) filter.id_prefix = id_prefix(*prefix);
    filter.limit = limit_param(call);
    if (auto before = query_param(call, "before")) {
      const auto cursor = service.get_run(*before);
      filter.before_seq = cursor.seq;
    }
    const auto runs = service.list_runs(filter);
    std::vector<std::string> ids;
    for (const auto& r : runs) ids.push_back(r.id);
    const auto summaries = service.node_summaries(ids);  // the whole page at once
    json list = json::array();
    for (const auto& r : runs) {
      const auto it = summaries.find(r.id);
      list.push_back(run_json(r, service.progress(r), it == summaries.end() ? nullptr : &it->second));
    }
    json next = static_cast<int>(runs.size()) == filter.limit ? json(runs.back().id) : json(nullptr);
    send_json(res, 200, {{"runs", list}, {"next", next}});
  });
  table.add("GET", run, Scope::read, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    const auto r = service.get_run(params.get("run_id"));
    send_json(res, 200, run_with_nodes(service, r));
  });
  table.add("GET", run + "/nodes", Scope::read, [&service](const Call& call, httplib::Response& res, const PathParams& params) {
    std::vector<std::string> statuses;
    if (auto status = query_param(call, "status")) statuses = node_status_list(*status);
    const auto r = service.get_run(params.get("run_id"));
    json nodes = json::array();
    for (const auto& n : service.run_nodes(r.id, statuses)) nodes.push_back(node_json(n));
    send_json(res, 200, {{"run_id", r.id}, {"nodes", nodes}});
  });
  table.add("POST", run + "/cancel", Scope::trigger, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    const auto r = service.cancel_run(params.get("run_id"));
    send_json(res, 200, run_with_nodes(service, r));
  });
  table.add("POST", run + "/retry", Scope::trigger, [&service](const Call&, httplib::Response& res, const PathParams& params) {
    const auto retried = service.retry_run(params.get("run_id"));
    send_json(res, 200, {{"message", "DBT job run triggered successfully"},
                         {"job_run_id", retried.id},
                         {"job_id", retried.job_id},
                         {"job_name", retried.job_name}});
  });
  // The streams' follower counts live as long as the route table.
  auto logs = std::make_shared<LogStreams>(service, data_dir);
  table.add("GET", run + "/logs", Scope::read, [&service, logs](const Call& call, httplib::Response& res, const PathParams& params) {
    const bool follow = bool_param(call, "follow", false);
    std::uint64_t offset = 0;
    if (auto text = query_param(call, "offset")) {
      constexpr auto kMaxOffset = static_cast<std::uint64_t>(std::numeric_limits<std::streamoff>::max());
      const auto n = parse_whole_number(*text, kMaxOffset);
      if (!n) throw service::bad_request("'offset' must be a whole number of bytes from 0 to " + std::to_string(kMaxOffset));
      offset = *n;
    }
    logs->serve(call, res, service.get_run(params.get("run_id")), offset, follow);
  });
  table.add("GET", run + "/artifacts", Scope::read,
            [&service, data_dir](const Call&, httplib::Response& res, const PathParams& params) {
    const auto id = local_run(service, data_dir, params.get("run_id")).id;
    json list = json::array();
    for (const auto& a : list_artifacts(data_dir, id)) {
      list.push_back({{"name", a.name}, {"size", a.size}, {"modified_at", common::to_rfc3339(a.modified_at)}});
    }
    send_json(res, 200, {{"run_id", id}, {"artifacts", list}});
  });
  table.add("GET", run + "/artifacts/{path...}", Scope::read,
            [&service, data_dir](const Call& call, httplib::Response& res, const PathParams& params) {
    serve_artifact(call.http, res, data_dir, local_run(service, data_dir, params.get("run_id")).id, params.get("path"));
  });
}

}  // namespace dagctl::daemon::api
