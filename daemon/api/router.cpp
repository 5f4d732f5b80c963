#include "daemon/api/router.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <thread>

#include "common/dbt_command.hpp"
#include "common/limits.hpp"
#include "daemon/api/http_util.hpp"
#include "daemon/api/views.hpp"
#include "daemon/runner/executor.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kId = "([^/]+)";

int parse_limit(const std::optional<std::string>& text) {
  if (!text) return 20;
  const auto n = parse_whole_number(*text, 1000);
  if (n && *n >= 1) return static_cast<int>(*n);
  throw service::bad_request("'limit' must be a whole number from 1 to 1000");
}

// Socket callers are the owner; TCP callers hold a token (docs/commands.md, who may run what).
common::Trust trust_of(const Call& call) { return call.owner ? common::Trust::owner : common::Trust::token; }

// Holds one of a listener's follower places for as long as a log stream lives.
class FollowerSlot {
public:
  explicit FollowerSlot(std::atomic<int>& count) : count_(count) {}
  ~FollowerSlot() { count_.fetch_sub(1); }
  FollowerSlot(const FollowerSlot&) = delete;
  FollowerSlot& operator=(const FollowerSlot&) = delete;

  // nullptr when `limit` streams are being served already.
  static std::shared_ptr<FollowerSlot> take(std::atomic<int>& count, int limit) {
    if (count.fetch_add(1) >= limit) {
      count.fetch_sub(1);
      return nullptr;
    }
    return std::make_shared<FollowerSlot>(count);
  }

private:
  std::atomic<int>& count_;
};

std::map<std::string, std::string> string_map(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return {};
  if (!body[key].is_object()) throw service::bad_request(std::string("field '") + key + "' must be an object");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : body[key].items()) {
    if (!v.is_string()) throw service::bad_request(std::string(key) + " " + common::quote(k) + " must have a string value");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string string_field(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return "";
  if (!body[key].is_string()) throw service::bad_request(std::string("field '") + key + "' must be a string");
  return body[key].get<std::string>();
}

// "/api/v1/projects/([^/]+)/jobs/([^/]+)" -> "/api/v1/projects/{id}/jobs/{job_id}".
std::string openapi_path(const std::string& pattern) {
  static const std::map<std::string, std::string> kNames = {
      {"projects", "{id}"}, {"jobs", "{job_id}"}, {"runs", "{run_id}"}, {"tokens", "{token_id}"},
      {"deliveries", "{delivery_id}"}};
  static const std::string kSegment = "([^/]+)";
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = pattern.find(kSegment, pos)) != std::string::npos; pos = at + kSegment.size()) {
    out += pattern.substr(pos, at - pos);  // ends with '/'
    const size_t start = out.rfind('/', out.size() - 2) + 1;
    const std::string previous = out.substr(start, out.size() - 1 - start);
    out += kNames.count(previous) ? kNames.at(previous) : "{param}";
  }
  out += pattern.substr(pos);
  if (const auto rest = out.find("(.+)"); rest != std::string::npos) out.replace(rest, 4, "{path}");
  return out;
}

}  // namespace

Router::Router(service::Service& service, service::Tokens& tokens, std::string data_dir)
    : service_(service), tokens_(tokens), data_dir_(std::move(data_dir)) {
  add("GET", "/api/v1/health", Scope::read, [this](const Call&, httplib::Response& res, const Params&) {
    send_json(res, 200, {{"status", "ok"}, {"version", service_.info().version}});
  });
  add("GET", "/api/v1/daemon", Scope::admin, [this](const Call&, httplib::Response& res, const Params&) {
    const auto& info = service_.info();
    const auto counts = service_.run_counts();
    send_json(res, 200, {{"version", info.version}, {"pid", info.pid}, {"socket", info.socket},
                         {"http", info.http.empty() ? json(nullptr) : json(info.http)},
                         {"data_dir", info.data_dir},
                         {"runs", {{"running", counts.running}, {"queued", counts.queued}}},
                         {"retention", {{"keep_days", info.keep_days}, {"keep_runs", info.keep_runs}}},
                         {"sandbox", {{"mode", info.sandbox_mode}, {"active", info.sandbox_active},
                                      {"detail", info.sandbox_detail}}}});
  }, /*local_only=*/true);
  add("GET", "/api/v1/org", Scope::read, [this](const Call&, httplib::Response& res, const Params&) {
    const auto org = service_.organization();
    send_json(res, 200, {{"id", org.id}, {"name", org.name}});
  });
  // The route table itself, in OpenAPI path syntax; docs/openapi.yaml is checked against it.
  add("GET", "/api/v1/routes", Scope::admin, [this](const Call&, httplib::Response& res, const Params&) {
    json list = json::array();
    for (const auto& r : routes_) {
      list.push_back({{"method", r.method},
                      {"path", openapi_path(r.pattern.text())},
                      {"local_only", r.local_only},
                      {"scope", r.local_only ? json(nullptr) : json(store::to_string(r.scope))}});
    }
    send_json(res, 200, {{"routes", list}});
  }, /*local_only=*/true);
  add_project_routes();
  add_job_routes();
  add_run_routes();
  add_token_routes();
}

namespace {
json token_json(const store::Token& t) {
  auto time_or_null = [](const std::optional<common::TimePoint>& v) {
    return v ? json(common::to_rfc3339(*v)) : json(nullptr);
  };
  return {{"id", t.id},
          {"name", t.name},
          {"scope", store::to_string(t.scope)},
          {"created_at", common::to_rfc3339(t.created_at)},
          {"expires_at", time_or_null(t.expires_at)},
          {"last_used_at", time_or_null(t.last_used_at)},
          {"revoked_at", time_or_null(t.revoked_at)}};
}
}  // namespace

// Token management is local-only: whoever can reach the socket owns the daemon anyway.
void Router::add_token_routes() {
  add("GET", "/api/v1/tokens", Scope::admin, [this](const Call&, httplib::Response& res, const Params&) {
    json list = json::array();
    for (const auto& t : tokens_.list()) list.push_back(token_json(t));
    send_json(res, 200, {{"tokens", list}});
  }, /*local_only=*/true);
  add("POST", "/api/v1/tokens", Scope::admin, [this](const Call& req, httplib::Response& res, const Params&) {
    const json body = *json_body(req, true);
    reject_unknown_fields(body, {"name", "expires_in_days", "scope"});
    if (!body.contains("name") || !body["name"].is_string()) throw service::bad_request("field 'name' (a string) is required");
    auto scope = service::Tokens::kDefaultScope;
    if (body.contains("scope") && !body["scope"].is_null()) {
      const auto parsed = body["scope"].is_string() ? store::parse_token_scope(body["scope"].get<std::string>())
                                                    : std::nullopt;
      if (!parsed) throw service::bad_request("field 'scope' must be \"read\", \"trigger\" or \"admin\"");
      scope = *parsed;
    }
    std::optional<int> days;
    if (body.contains("expires_in_days") && !body["expires_in_days"].is_null()) {
      if (!body["expires_in_days"].is_number_integer()) throw service::bad_request("field 'expires_in_days' must be a whole number");
      days = body["expires_in_days"].get<int>();
    }
    const auto created = tokens_.create(body["name"].get<std::string>(), days, scope);
    json out = token_json(created.token);
    out["token"] = created.secret;
    send_json(res, 201, out);
  }, /*local_only=*/true);
  add("DELETE", std::string("/api/v1/tokens/") + kId, Scope::admin, [this](const Call&, httplib::Response& res, const Params& p) {
    send_json(res, 200, token_json(tokens_.revoke(p[0])));
  }, /*local_only=*/true);
}

store::Token Router::authorize(const httplib::Request& req) const {
  const auto token = tokens_.authenticate(req.get_header_value("Authorization"));
  const std::string org = req.get_header_value("X-Organization-ID");
  if (!org.empty() && org != token.org_id) {
    throw service::UserError(403, "forbidden",
                    "X-Organization-ID '" + org + "' is not this token's organization; send " + token.org_id +
                        " or leave the header out");
  }
  return token;
}

void Router::add(const std::string& method, const std::string& pattern, Scope scope, Handler handler,
                 bool local_only) {
  routes_.push_back({method, RoutePattern(pattern), scope, local_only, std::move(handler)});
}

void Router::add_project_routes() {
  add("GET", "/api/v1/projects", Scope::read, [this](const Call&, httplib::Response& res, const Params&) {
    json list = json::array();
    for (const auto& p : service_.list_projects()) list.push_back(project_json(p, service_.list_jobs(p.id)));
    send_json(res, 200, {{"projects", list}});
  });
  // Registering names a folder and a dbt executable to run: local users only.
  add("POST", "/api/v1/projects", Scope::admin, [this](const Call& req, httplib::Response& res, const Params&) {
    const json body = *json_body(req, true);
    reject_unknown_fields(body, {"path", "name", "profiles_dir", "target", "dbt", "env"});
    service::ProjectSpec spec;
    spec.path = string_field(body, "path");
    if (body.contains("name") && !body["name"].is_null()) spec.name = string_field(body, "name");
    spec.profiles_dir = string_field(body, "profiles_dir");
    spec.target = string_field(body, "target");
    spec.dbt = string_field(body, "dbt");
    spec.env = string_map(body, "env");
    const auto project = service_.add_project(spec);
    send_json(res, 201, project_json(project, service_.list_jobs(project.id)));
  }, /*local_only=*/true);
  add("GET", std::string("/api/v1/projects/") + kId, Scope::read, [this](const Call&, httplib::Response& res, const Params& p) {
    const auto project = service_.get_project(p[0]);
    send_json(res, 200, project_json(project, service_.list_jobs(project.id)));
  });
  add("DELETE", std::string("/api/v1/projects/") + kId, Scope::admin, [this](const Call&, httplib::Response& res, const Params& p) {
    service_.remove_project(p[0]);
    res.status = 204;
  }, /*local_only=*/true);
}

void Router::add_job_routes() {
  const std::string jobs = std::string("/api/v1/projects/") + kId + "/jobs";
  const std::string job = jobs + "/" + kId;
  add("GET", jobs, Scope::read, [this](const Call&, httplib::Response& res, const Params& p) {
    json list = json::array();
    for (const auto& j : service_.list_jobs(p[0])) list.push_back(job_json(j));
    send_json(res, 200, {{"jobs", list}});
  });
  add("POST", jobs, Scope::admin, [this](const Call& req, httplib::Response& res, const Params& p) {
    send_json(res, 201, job_json(service_.create_job(p[0], *json_body(req, true), trust_of(req))));
  });
  add("GET", job, Scope::read, [this](const Call&, httplib::Response& res, const Params& p) {
    send_json(res, 200, job_json(service_.get_job(p[0], p[1])));
  });
  add("PATCH", job, Scope::admin, [this](const Call& req, httplib::Response& res, const Params& p) {
    send_json(res, 200, job_json(service_.update_job(p[0], p[1], *json_body(req, true), trust_of(req))));
  });
  add("DELETE", job, Scope::admin, [this](const Call&, httplib::Response& res, const Params& p) {
    service_.delete_job(p[0], p[1]);
    res.status = 204;
  });
  add("POST", job + "/trigger", Scope::trigger, [this](const Call& req, httplib::Response& res, const Params& p) {
    std::optional<std::string> override_command;
    if (auto body = json_body(req, false)) {
      reject_unknown_fields(*body, {"command_override"});
      if (body->contains("command_override") && !(*body)["command_override"].is_null()) {
        if (!(*body)["command_override"].is_string()) {
          throw service::bad_request("field 'command_override' must be a string such as \"dbt build --select my_model+\"");
        }
        override_command = (*body)["command_override"].get<std::string>();
      }
    }
    const auto run = service_.trigger(p[0], p[1], override_command, "manual", trust_of(req));
    send_json(res, 200, {{"message", "DBT job run triggered successfully"},
                         {"job_run_id", run.id},
                         {"job_id", run.job_id},
                         {"job_name", run.job_name}});
  });
  add("GET", job + "/deliveries", Scope::read, [this](const Call& req, httplib::Response& res, const Params& p) {
    json list = json::array();
    for (const auto& d : service_.deliveries(p[0], p[1], parse_limit(query_param(req, "limit")))) {
      list.push_back(delivery_json(d, service_.delivery_attempts(d.id), req.may(Scope::admin)));
    }
    send_json(res, 200, {{"deliveries", list}});
  });
  add("POST", job + "/webhook/test", Scope::admin, [this](const Call& req, httplib::Response& res, const Params& p) {
    const auto d = service_.test_webhook(p[0], p[1]);
    send_json(res, 202, delivery_json(d, {}, req.may(Scope::admin)));
  });
  // The signing secret never leaves the machine (CONTRACT §8).
  add("GET", job + "/webhook/secret", Scope::admin, [this](const Call&, httplib::Response& res, const Params& p) {
    send_json(res, 200, {{"secret", service_.webhook_secret(p[0], p[1])}});
  }, /*local_only=*/true);
  add("POST", std::string("/api/v1/deliveries/") + kId + "/redeliver", Scope::admin,
      [this](const Call& req, httplib::Response& res, const Params& p) {
        const auto d = service_.redeliver(p[0]);
        send_json(res, 202, delivery_json(d, service_.delivery_attempts(d.id), req.may(Scope::admin)));
      });
}

void Router::add_run_routes() {
  const std::string run = std::string("/api/v1/runs/") + kId;
  add("GET", "/api/v1/runs", Scope::read, [this](const Call& req, httplib::Response& res, const Params&) {
    store::RunFilter filter;
    filter.job_id = query_param(req, "job_id");
    filter.project_id = query_param(req, "project_id");
    if (filter.project_id) filter.project_id = service_.get_project(*filter.project_id).id;
    if (auto status = query_param(req, "status")) {
      filter.status = common::parse_run_status(*status);
      if (!filter.status) {
        throw service::bad_request("unknown status '" + *status +
                          "'; use queued, running, success, partial, failed, error or cancelled");
      }
    }
    filter.limit = parse_limit(query_param(req, "limit"));
    if (auto before = query_param(req, "before")) {
      const auto cursor = service_.get_run(*before);
      filter.before_seq = cursor.seq;
    }
    const auto runs = service_.list_runs(filter);
    json list = json::array();
    for (const auto& r : runs) list.push_back(run_json(r, service_.progress(r.id)));
    json next = static_cast<int>(runs.size()) == filter.limit ? json(runs.back().id) : json(nullptr);
    send_json(res, 200, {{"runs", list}, {"next", next}});
  });
  add("GET", run, Scope::read, [this](const Call&, httplib::Response& res, const Params& p) {
    send_json(res, 200, run_json(service_.get_run(p[0]), service_.progress(p[0])));
  });
  add("POST", run + "/cancel", Scope::trigger, [this](const Call&, httplib::Response& res, const Params& p) {
    send_json(res, 200, run_json(service_.cancel_run(p[0]), service_.progress(p[0])));
  });
  add("POST", run + "/retry", Scope::trigger, [this](const Call&, httplib::Response& res, const Params& p) {
    const auto retried = service_.retry_run(p[0]);
    send_json(res, 200, {{"message", "DBT job run triggered successfully"},
                         {"job_run_id", retried.id},
                         {"job_id", retried.job_id},
                         {"job_name", retried.job_name}});
  });
  add("GET", run + "/logs", Scope::read, [this](const Call& req, httplib::Response& res, const Params& p) {
    const bool follow = bool_param(req, "follow", false);
    std::uint64_t offset = 0;
    if (auto text = query_param(req, "offset")) {
      constexpr auto kMaxOffset = static_cast<std::uint64_t>(std::numeric_limits<std::streamoff>::max());
      const auto n = parse_whole_number(*text, kMaxOffset);
      if (!n) throw service::bad_request("'offset' must be a whole number of bytes from 0 to " + std::to_string(kMaxOffset));
      offset = *n;
    }
    const auto r = service_.get_run(p[0]);
    struct Stream {
      std::ifstream file;
      std::uint64_t position = 0;  // the next byte to send
      std::shared_ptr<FollowerSlot> slot;  // followers only; freed with the response
    };
    auto stream = std::make_shared<Stream>();
    stream->position = offset;
    if (follow) {
      stream->slot = req.owner ? FollowerSlot::take(followers_socket_, kMaxFollowersSocket)
                               : FollowerSlot::take(followers_tcp_, kMaxFollowersTcp);
      if (!stream->slot) {
        const int limit = req.owner ? kMaxFollowersSocket : kMaxFollowersTcp;
        res.set_header("Retry-After", "5");
        send_error(res, 503, "too_many_followers",
                   std::to_string(limit) + " log streams are being followed on this listener already, the most it "
                   "serves at once; retry in a few seconds, or read the log without follow=true and poll with offset=N");
        return;
      }
    }
    res.set_chunked_content_provider(
        "text/plain; charset=utf-8",
        [this, stream, follow, path = runner::run_log_path(data_dir_, r.id), id = r.id](
            size_t, httplib::DataSink& sink) {
          char buffer[64 * 1024];
          auto& file = stream->file;
          // Bounded memory whatever the log's size: one buffer at a time.
          while (sink.is_writable()) {
            const std::uint64_t ends_seen = service_.run_ends().count();  // before the status
            bool ended = !follow;
            if (!ended) {
              // Retention or a job's deletion can remove the run meanwhile: then it has ended.
              const auto now_run = service_.find_run(id);
              ended = !now_run || common::is_terminal(now_run->status);
            }
            // A queued run has no log yet: the executor creates it when the run starts.
            if (!file.is_open()) file.open(path, std::ios::binary);
            std::streamsize n = 0;
            if (file.is_open()) {
              // From our own position each time: an offset past the end (even one the file
              // system cannot seek to) reads nothing until the log grows past it.
              file.clear();
              file.seekg(static_cast<std::streamoff>(stream->position));
              if (file) {
                file.read(buffer, sizeof buffer);
                n = file.gcount();
              }
            }
            if (n > 0) {
              stream->position += static_cast<std::uint64_t>(n);
              if (!sink.write(buffer, static_cast<size_t>(n))) return false;
              continue;
            }
            // Nothing new. The status was read before this read, so once it says ended,
            // everything dbt wrote is already behind us.
            if (ended) break;
            // dbt writes on: look again in a while; the run ends: look again at once.
            service_.run_ends().wait(ends_seen, std::chrono::milliseconds(100));
          }
          sink.done();
          return true;
        });
  });
  add("GET", run + "/artifacts/(.+)", Scope::read, [this](const Call&, httplib::Response& res, const Params& p) {
    const auto r = service_.get_run(p[0]);
    const std::string& rel = p[1];
    const fs::path base = fs::weakly_canonical(runner::run_target_dir(data_dir_, r.id));
    const fs::path wanted = fs::path(rel);
    if (wanted.is_absolute() || rel.find("..") != std::string::npos) {
      throw service::bad_request("artifact paths are relative to the run's target folder and may not contain '..'");
    }
    std::error_code ec;
    const fs::path resolved = fs::canonical(base / wanted, ec);  // follows symlinks
    const auto base_text = base.string() + "/";
    if (ec || resolved.string().rfind(base_text, 0) != 0 || !fs::is_regular_file(resolved)) {
      throw service::not_found("run " + r.id + " has no artifact '" + rel + "' (e.g. run_results.json, manifest.json)");
    }
    std::ifstream in(resolved, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool is_json = resolved.extension() == ".json";
    res.status = 200;
    res.set_content(content, is_json ? "application/json" : "application/octet-stream");
  });
}

namespace {

// Reads the request body ourselves instead of letting httplib do it: httplib 0.11 answers
// 400 to a POST without Content-Length (what `curl -X POST` sends when there is no -d),
// which the product page's basic trigger example does. No length and no chunking means
// no body.
std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) {
  std::string body;
  const bool chunked = req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
  if (!chunked && !req.has_header("Content-Length")) return body;
  std::uint64_t declared = 0;
  try {
    declared = chunked ? 0 : std::stoull(req.get_header_value("Content-Length"));
  } catch (const std::exception&) {
    send_error(res, 400, "invalid_request", "Content-Length is not a number");
    return std::nullopt;
  }
  if (declared > kMaxBodyBytes) {
    res.set_header("Connection", "close");
    send_error(res, 413, "payload_too_large", "the body is over 1 MiB; send less");
    return std::nullopt;
  }
  bool too_large = false;
  const bool ok = reader([&](const char* data, size_t size) {
    if (body.size() + size > kMaxBodyBytes) {
      too_large = true;
      return false;
    }
    body.append(data, size);
    return true;
  });
  if (!ok) {
    res.set_header("Connection", "close");
    if (too_large) {
      send_error(res, 413, "payload_too_large", "the body is over 1 MiB; send less");
    } else {
      send_error(res, 400, "invalid_request", "the request body could not be read");
    }
    return std::nullopt;
  }
  return body;
}

}  // namespace

void Router::install(httplib::Server& server, Listener listener) {
  const std::string all = "/.*";
  auto without_body = [this, listener](const httplib::Request& req, httplib::Response& res) {
    dispatch(req, res, listener, "");
  };
  auto with_body = [this, listener](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) {
    if (auto body = read_body(req, res, reader)) dispatch(req, res, listener, *body);
  };
  server.Get(all, without_body);
  server.Options(all, without_body);
  server.Post(all, with_body);
  server.Put(all, with_body);
  server.Patch(all, with_body);
  server.Delete(all, with_body);
  server.set_payload_max_length(kMaxBodyBytes);
  // Pollers (Airflow sensors, scripts) keep connections open; httplib's default is 5 requests.
  server.set_keep_alive_max_count(100000);
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    // Errors httplib produced itself, before any route ran.
    if (!res.body.empty()) return;
    if (res.status == 413) {
      send_error(res, 413, "payload_too_large", "the body is over 1 MiB; send less");
    } else if (res.status == 400) {
      send_error(res, 400, "invalid_request", "the HTTP request is malformed");
    } else {
      send_error(res, res.status, "http_error", "HTTP error " + std::to_string(res.status));
    }
  });
}

void Router::dispatch(const httplib::Request& req, httplib::Response& res, Listener listener,
                      const std::string& body) {
  std::string allowed;
  bool hidden = false;  // the method exists here, but only on the Unix socket
  const auto send_user_error = [&res](const service::UserError& e) {
    if (e.http_status() == 401) res.set_header("WWW-Authenticate", "Bearer");
    // database_locked: the same request works once the other process's lock is gone.
    if (e.http_status() == 503) res.set_header("Retry-After", "1");
    send_error(res, e.http_status(), e.code(), e.what());
  };
  try {
    std::optional<store::Token> token;
    if (listener == Listener::tcp && req.path != "/api/v1/health" && req.path.rfind("/api/", 0) == 0) {
      token = authorize(req);
    }
    Params params;
    for (const auto& route : routes_) {
      params.clear();
      if (!route.pattern.match(req.path, params)) continue;
      if (route.local_only && listener != Listener::unix_socket) {
        // Local-only routes do not exist on TCP at all (CONTRACT §5): 404, not 405.
        if (route.method == req.method) {
          hidden = true;
          break;
        }
        continue;
      }
      if (route.method != req.method) {
        allowed += (allowed.empty() ? "" : ", ") + route.method;
        continue;
      }
      // Socket callers are the owner; over TCP the token's scope must cover the route.
      if (token) service::Tokens::require_scope(*token, route.scope);
      const Call call{req, body, listener == Listener::unix_socket,
                      token ? std::optional<Scope>(token->scope) : std::nullopt};
      route.handler(call, res, params);
      return;
    }
    if (!allowed.empty() && !hidden) {
      res.set_header("Allow", allowed);
      send_error(res, 405, "method_not_allowed", req.method + " is not allowed on " + common::quote(req.path) + "; use " + allowed);
      return;
    }
    send_error(res, 404, "not_found", "no route " + req.method + " " + common::quote(req.path) + "; see docs/api.md");
  } catch (const service::UserError& e) {
    send_user_error(e);
  } catch (const store::StoreBusy& e) {
    // A store write outside the service's mapping: the same rule (daemon/service/errors.hpp).
    send_user_error(service::from_store(e));
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", req.method, req.path, e.what());
    send_error(res, 500, "internal_error", "dagctld failed to answer; its log says why");
  }
}

}  // namespace dagctl::daemon::api
