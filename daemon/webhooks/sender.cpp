#include "daemon/webhooks/sender.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "common/crypto.hpp"
#include "daemon/webhooks/payload.hpp"
#include "daemon/webhooks/signing.hpp"

namespace dagctl::daemon::webhooks {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct SplitUrl {
  std::string base;  // scheme://host[:port]
  std::string path;  // path?query, at least "/"
};

std::optional<SplitUrl> split_url(const std::string& url) {
  static const std::regex kUrl(R"(^(https?://[^/?#]+)([^#]*)(#.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) return std::nullopt;
  return SplitUrl{m[1].str(), m[2].str().empty() ? "/" : m[2].str()};
}

std::unique_ptr<httplib::Client> make_client(const std::string& base, const SenderOptions& options) {
  auto client = std::make_unique<httplib::Client>(base);
  client->set_connection_timeout(options.timeout);
  client->set_read_timeout(options.timeout);
  client->set_write_timeout(options.timeout);
  client->enable_server_certificate_verification(true);
  if (!options.ca_bundle.empty()) client->set_ca_cert_path(options.ca_bundle);
  return client;
}

std::string error_text(httplib::Error e) {
  switch (e) {
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed (trust its CA with dagctld --webhook-ca-file)";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "no answer in time (read timed out or connection closed)";
    case httplib::Error::Connection: return "could not connect";
    default: return httplib::to_string(e);
  }
}

// Seconds until a JWT's "exp", from its payload; nullopt if it has none we can read.
std::optional<std::int64_t> jwt_expiry(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) return std::nullopt;
  std::string part = token.substr(first + 1, second - first - 1);
  for (char& c : part) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (part.size() % 4) part += '=';
  const auto decoded = common::base64_decode(part);
  if (!decoded) return std::nullopt;
  const auto claims = json::parse(*decoded, nullptr, false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number()) return std::nullopt;
  return claims["exp"].get<std::int64_t>();
}

}  // namespace

Sender::Sender(store::Store& store, SenderOptions options) : store_(store), options_(std::move(options)) {}

Sender::~Sender() { shutdown(); }

void Sender::start() { loop_thread_ = std::thread([this] { loop(); }); }

void Sender::wake() {
  {
    std::lock_guard lock(mutex_);
    wake_pending_ = true;
  }
  changed_.notify_all();
}

void Sender::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (loop_thread_.joinable()) loop_thread_.join();
}

void Sender::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    for (auto& t : finished_) t.join();
    finished_.clear();
    wake_pending_ = false;
    lock.unlock();
    const auto now = common::now();
    std::vector<store::Delivery> due;
    std::optional<common::TimePoint> next;
    try {
      due = store_.due_deliveries(now, options_.max_in_flight * 4);
      next = store_.next_delivery_due();
    } catch (const std::exception& e) {
      spdlog::error("webhooks: cannot read the outbox: {}", e.what());
    }
    lock.lock();
    for (const auto& d : due) {
      if (static_cast<int>(in_flight_.size()) >= options_.max_in_flight) break;
      if (!in_flight_.insert(d.id).second) continue;
      workers_[d.id] = std::thread([this, d] { deliver(d); });
    }
    // Sleep until the next delivery is due or something changes; never poll. Deliveries
    // that are due but in flight wake us when their attempt ends.
    auto until = std::chrono::system_clock::now() + std::chrono::hours(1);
    if (next && *next > now) until = std::min(until, std::chrono::system_clock::time_point(*next));
    changed_.wait_until(lock, until, [this] { return wake_pending_ || stopping_; });
  }
  // Stopping: let attempts in flight finish (each is bounded by the timeout).
  std::map<std::string, std::thread> workers;
  workers.swap(workers_);
  lock.unlock();
  for (auto& [id, t] : workers) t.join();
  lock.lock();
  for (auto& t : finished_) t.join();
  finished_.clear();
}

void Sender::deliver(const store::Delivery& d) {
  try {
    const auto job = store_.find_job(d.job_id);
    AttemptOutcome outcome;
    if (!job) {
      outcome.attempt.at = common::now();
      outcome.attempt.error = "the job was deleted";
    } else if (job->webhook_url && !job->webhook_url->empty() && *job->webhook_url != d.url) {
      // The URL changed (and with it the secret) while this was owed: a fixed typo or a
      // moved receiver. Send it where the job points now, signed as the job signs now.
      store::Delivery moved = d;
      moved.url = *job->webhook_url;
      moved.body = retarget_body(nlohmann::json::parse(d.body), moved.url).dump();
      store_.retarget_delivery(d.id, moved.url, moved.body);
      spdlog::info("webhook {}: the job's URL changed since it was queued; sending to the new one", d.id);
      outcome = attempt(moved, *job);
    } else {
      outcome = attempt(d, *job);
    }
    const int attempts_done = d.attempts + 1;
    std::string status = outcome.delivered ? "delivered" : "failed";
    auto next = outcome.attempt.at;
    if (!outcome.delivered && outcome.retryable && attempts_done <= options_.retries) {
      status = "pending";
      next = common::now() + std::chrono::duration_cast<std::chrono::milliseconds>(
                                 outcome.retry_after ? std::chrono::milliseconds(*outcome.retry_after)
                                                     : options_.retry_delay);
    }
    const std::optional<std::string> error =
        outcome.delivered ? std::nullopt
        : outcome.attempt.error ? outcome.attempt.error
                                : std::optional<std::string>("HTTP " + std::to_string(outcome.attempt.status_code.value_or(0)));
    store_.record_attempt(d.id, outcome.attempt, status, next, error);
    spdlog::info("webhook {} ({}, run {}) attempt {}: {} in {} ms -> {}", d.id, d.event, d.run_id.value_or("-"),
                 attempts_done,
                 outcome.attempt.status_code ? "HTTP " + std::to_string(*outcome.attempt.status_code)
                                             : outcome.attempt.error.value_or("?"),
                 outcome.attempt.latency_ms, status);
  } catch (const std::exception& e) {
    spdlog::error("webhook {}: {}", d.id, e.what());
  }
  std::lock_guard lock(mutex_);
  in_flight_.erase(d.id);
  if (auto it = workers_.find(d.id); it != workers_.end()) {
    finished_.push_back(std::move(it->second));
    workers_.erase(it);
  }
  wake_pending_ = true;
  changed_.notify_all();
}

std::optional<std::string> Sender::airflow_token(const json& auth, bool refresh, std::string& error) {
  const std::string url = auth.value("token_url", "");
  const std::string key = url + "\n" + auth.value("username", "");
  {
    std::lock_guard lock(tokens_mutex_);
    auto it = tokens_.find(key);
    if (!refresh && it != tokens_.end() && it->second.expires_at > common::now()) return it->second.token;
    tokens_.erase(key);
  }
  const auto split = split_url(url);
  if (!split) {
    error = "webhook_auth token_url is not an http(s) URL";
    return std::nullopt;
  }
  auto client = make_client(split->base, options_);
  const json credentials = {{"username", auth.value("username", "")}, {"password", auth.value("password", "")}};
  auto res = client->Post(split->path, credentials.dump(), "application/json");
  if (!res) {
    error = "Airflow token request failed: " + error_text(res.error());
    return std::nullopt;
  }
  if (res->status != 200 && res->status != 201) {
    error = "Airflow token request answered HTTP " + std::to_string(res->status) + " (check webhook_auth username/password)";
    return std::nullopt;
  }
  const auto body = json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    error = "Airflow token response has no access_token";
    return std::nullopt;
  }
  const std::string token = body["access_token"];
  // Refresh a little before Airflow would refuse it.
  auto expires = common::now() + std::chrono::minutes(10);
  if (const auto exp = jwt_expiry(token)) expires = common::from_millis((*exp - 30) * 1000);
  std::lock_guard lock(tokens_mutex_);
  tokens_[key] = {token, expires};
  return token;
}

AttemptOutcome Sender::attempt(const store::Delivery& d, const store::Job& job) {
  AttemptOutcome out;
  out.attempt.at = common::now();
  const auto started = SteadyClock::now();
  auto finish = [&] {
    out.attempt.latency_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
    return out;
  };
  const auto split = split_url(d.url);
  if (!split) {
    out.attempt.error = "the webhook URL is not an http(s) URL";
    return finish();
  }
  const std::string secret = job.webhook_secret.value_or("");
  const auto timestamp = common::to_millis(common::now()) / 1000;
  httplib::Headers headers;
  for (const auto& [name, value] : job.webhook_headers.items()) {
    if (value.is_string()) headers.emplace(name, value.get<std::string>());
  }
  // Custom headers are merged: a job's own User-Agent wins (httplib's names compare
  // case-insensitively).
  if (!headers.count("User-Agent")) headers.emplace("User-Agent", options_.user_agent);
  headers.emplace("X-Dagctl-Event", d.event);
  headers.emplace("X-Dagctl-Delivery", d.id);
  headers.emplace("X-Dagctl-Signature", github_signature(secret, d.body));
  headers.emplace("webhook-id", d.id);
  headers.emplace("webhook-timestamp", std::to_string(timestamp));
  if (const auto sig = standard_signature(secret, d.id, timestamp, d.body)) headers.emplace("webhook-signature", *sig);

  const std::string auth_type = job.webhook_auth.is_object() ? job.webhook_auth.value("type", "") : "";
  if (auth_type == "basic") {
    // webhook_auth wins over a custom Authorization header.
    headers.erase("Authorization");
    headers.emplace("Authorization",
                    "Basic " + common::base64_encode(job.webhook_auth.value("username", "") + ":" +
                                                     job.webhook_auth.value("password", "")));
  }
  const bool jwt = auth_type == "airflow_jwt";
  for (int round = 0; round < 2; ++round) {
    if (jwt) {
      std::string error;
      const auto token = airflow_token(job.webhook_auth, /*refresh=*/round > 0, error);
      if (!token) {
        out.attempt.error = error;
        out.retryable = true;
        return finish();
      }
      headers.erase("Authorization");
      headers.emplace("Authorization", "Bearer " + *token);
    }
    auto client = make_client(split->base, options_);
    auto res = client->Post(split->path, headers, d.body, "application/json");
    if (!res) {
      out.attempt.error = error_text(res.error());
      // A certificate that does not verify will not verify on retry either.
      out.retryable = res.error() != httplib::Error::SSLServerVerification &&
                      res.error() != httplib::Error::SSLLoadingCerts;
      return finish();
    }
    out.attempt.status_code = res->status;
    out.attempt.response_excerpt = res->body.substr(0, 1024);
    if (jwt && round == 0 && (res->status == 401 || res->status == 403)) continue;  // token expired early
    const int s = res->status;
    out.delivered = (s >= 200 && s < 300) || (s == 409 && airflow_api_of(d.url) != AirflowApi::none);
    out.retryable = s >= 500 || s == 429;
    if ((s == 429 || s == 503) && res->has_header("Retry-After")) {
      out.retry_after = parse_retry_after(res->get_header_value("Retry-After"), common::now());
    }
    break;
  }
  return finish();
}

std::optional<std::chrono::seconds> parse_retry_after(const std::string& value, common::TimePoint now) {
  constexpr std::chrono::seconds kMax = std::chrono::hours(1);
  if (!value.empty() && value.size() <= 10 && value.find_first_not_of("0123456789") == std::string::npos) {
    return std::min(std::chrono::seconds(std::stoll(value)), kMax);
  }
  std::istringstream in(value);
  std::tm tm{};
  std::string zone;
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S") >> zone;
  if (in.fail() || zone != "GMT" || !in.eof()) return std::nullopt;
  const std::time_t when = ::timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  // In seconds: a date like year 9999 overflows system_clock's nanoseconds.
  const auto delay = std::chrono::seconds(when) -
                     std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  return std::clamp(delay, std::chrono::seconds(0), kMax);
}

}  // namespace dagctl::daemon::webhooks
