#include "daemon/webhooks/sender.hpp"

#include <SQLiteCpp/Exception.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "common/crypto.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/job_fields.hpp"
#include "daemon/store/retry.hpp"
#include "daemon/webhooks/assets.hpp"
#include "daemon/webhooks/http_client.hpp"
#include "daemon/webhooks/payload.hpp"
#include "daemon/webhooks/signing.hpp"

namespace dagctl::daemon::webhooks {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

// An exception's text for the delivery log: bounded, whatever the row held.
std::string shorten(const std::string& text) {
  if (text.size() <= 300) return text;
  std::size_t cut = 300;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
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

Sender::Sender(store::Store& store, SenderOptions options, std::string daemon_id)
    : store_(store),
      options_(std::move(options)),
      daemon_id_(std::move(daemon_id)),
      worker_("webhooks: reading the outbox", [this] { return pass(); }, store::log_to_spdlog) {}

Sender::~Sender() { shutdown(); }

void Sender::start() { worker_.start(); }

void Sender::wake() { worker_.wake(); }

void Sender::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.stop();  // no attempt starts after this
  // Let attempts in flight finish (each is bounded by the timeout).
  std::unique_lock lock(mutex_);
  std::map<std::string, std::thread> workers;
  workers.swap(workers_);
  lock.unlock();
  for (auto& [id, t] : workers) t.join();
  lock.lock();
  for (auto& t : finished_) t.join();
  finished_.clear();
}

std::optional<common::Clock::time_point> Sender::pass() {
  std::unique_lock lock(mutex_);
  for (auto& t : finished_) t.join();
  finished_.clear();
  done_since_read_.clear();
  lock.unlock();
  // Throws while the database is busy: what is pending stays pending.
  const auto now = options_.clock();
  const auto due = store_.deliveries().due(now, options_.max_in_flight * 4, daemon_id_);
  const auto next = store_.deliveries().next_due();
  lock.lock();
  if (stopping_) return std::nullopt;
  std::erase_if(held_, [&](const auto& h) { return h.second <= now; });
  for (const auto& d : due) {
    if (static_cast<int>(in_flight_.size()) >= options_.max_in_flight) break;
    if (held_.count(d.id) || done_since_read_.count(d.id) || in_flight_.count(d.id)) continue;
    // Throws while the database is busy: nothing was claimed or started.
    const auto claimed = store_.deliveries().claim(d.id, daemon_id_, now, now + claim_length());
    if (!claimed) continue;  // another daemon sends it, or sent it since the read
    in_flight_.insert(d.id);
    workers_[d.id] = std::thread([this, d, claim = *claimed] { deliver(d, claim); });
  }
  // Sleep until the next delivery is due or something changes. Deliveries that are due but
  // in flight wake us when their attempt ends; what another daemon stored (or one that died
  // left claimed) is seen within a second.
  std::chrono::milliseconds delay = std::chrono::seconds(1);
  const auto clock_now = options_.clock();
  if (next && *next > now) delay = std::min(delay, *next - clock_now);
  for (const auto& [id, when] : held_) delay = std::min(delay, when - clock_now);
  return common::Clock::now() + delay;
}

std::chrono::milliseconds Sender::claim_length() const {
  // An Airflow JWT attempt makes up to three requests (a token, a post, a post with a fresh
  // token); each is bounded by the timeout, connecting and reading.
  return std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout) * 6 + std::chrono::seconds(10);
}

void Sender::deliver(const store::Delivery& d, const store::DeliveryClaim& claim) {
  AttemptOutcome outcome;
  bool sent = false;
  try {
    outcome = send(d);
    sent = true;
  } catch (const store::StoreBusy& e) {
    spdlog::warn("webhook {}: {}; trying again in 5 s", d.id, e.what());
  } catch (const store::DatabaseError& e) {
    // The database, not the row: try this delivery again a little later.
    spdlog::error("webhook {}: cannot read it from the database ({}); trying again in 5 s", d.id, e.what());
  } catch (const std::exception& e) {
    outcome = AttemptOutcome{};
    outcome.attempt.at = options_.clock();
    outcome.attempt.error = "this delivery cannot be sent: " + shorten(e.what());
    sent = true;
  }
  if (sent) {
    // The attempt was made: record it, retrying a store that is busy with back-off rather
    // than sending it again. Given up when dagctld stops (the delivery is still pending and
    // goes out again at the next start, with the same id) or when the failure would repeat
    // (e.g. the delivery went with its job meanwhile).
    try {
      sent = store::retry_until_done(
          "webhook " + d.id + ": recording its attempt",
          [&] {
            if (!record(d, outcome, claim)) {
              spdlog::warn("webhook {}: its attempt ran past its claim and another daemon took the delivery over; "
                           "this attempt is not recorded",
                           d.id);
            }
          },
          [this](std::chrono::milliseconds delay) {
            std::unique_lock lock(mutex_);
            return !changed_.wait_for(lock, delay, [this] { return stopping_; });
          });
    } catch (const std::exception& e) {
      spdlog::error("webhook {}: cannot record its attempt: {}", d.id, e.what());
      sent = false;
    }
  }
  std::lock_guard lock(mutex_);
  if (!sent) held_[d.id] = options_.clock() + std::chrono::seconds(5);
  done_since_read_.insert(d.id);
  in_flight_.erase(d.id);
  if (auto it = workers_.find(d.id); it != workers_.end()) {
    finished_.push_back(std::move(it->second));
    workers_.erase(it);
  }
  worker_.wake();
}

AttemptOutcome Sender::send(const store::Delivery& d) {
  const auto job = store_.jobs().find(d.job_id);
  if (!job) {
    AttemptOutcome outcome;
    outcome.attempt.at = options_.clock();
    outcome.attempt.error = "the job was deleted";
    return outcome;
  }
  if (d.kind == store::delivery_kind::airflow_asset) {
    // The same JWT as the job's webhook, from the same cache (airflow_token stays private).
    const AirflowTokenSource airflow_tokens = [this](const json& auth, bool refresh, std::string& error, bool& retry) {
      return airflow_token(auth, refresh, error, retry);
    };
    // Sent where the job points now, as webhooks are: a fixed URL takes effect on a resend.
    store::Delivery to = d;
    if (job->airflow_assets_url && !job->airflow_assets_url->empty() && *job->airflow_assets_url != d.url) {
      to.url = *job->airflow_assets_url;
      store_.deliveries().retarget(d.id, to.url, d.body);
    }
    return attempt_asset_event(to, *job, options_, airflow_tokens);
  }
  if (d.kind != store::delivery_kind::webhook) return attempt_plain(d, *job);
  if (job->webhook_url && !job->webhook_url->empty() && *job->webhook_url != d.url) {
    // The URL changed (and with it the secret) while this was owed: a fixed typo or a
    // moved receiver. Send it where the job points now, signed as the job signs now.
    store::Delivery moved = d;
    moved.url = *job->webhook_url;
    moved.body = retarget_body(nlohmann::json::parse(d.body), moved.url).dump();
    store_.deliveries().retarget(d.id, moved.url, moved.body);
    spdlog::info("webhook {}: the job's URL changed since it was queued; sending to the new one", d.id);
    return attempt(moved, *job);
  }
  return attempt(d, *job);
}

bool Sender::record(const store::Delivery& d, const AttemptOutcome& outcome, const store::DeliveryClaim& claim) {
  const int attempts_done = d.attempts + 1;
  std::string status = outcome.delivered ? "delivered" : "failed";
  auto next = outcome.attempt.at;
  if (!outcome.delivered && outcome.retryable && attempts_done <= options_.retries) {
    status = "pending";
    next = options_.clock() + std::chrono::duration_cast<std::chrono::milliseconds>(
                                  outcome.retry_after ? std::chrono::milliseconds(*outcome.retry_after)
                                                      : options_.retry_delay);
  }
  const std::optional<std::string> error =
      outcome.delivered ? std::nullopt
      : outcome.attempt.error ? outcome.attempt.error
                              : std::optional<std::string>("HTTP " + std::to_string(outcome.attempt.status_code.value_or(0)));
  if (!store_.deliveries().record_attempt(d.id, outcome.attempt, status, next, error, claim)) return false;
  if (options_.metrics) options_.metrics->delivery_attempt(d.kind, status == "pending" ? "retrying" : status);
  spdlog::info("{} {} ({}, run {}) attempt {}: {} in {} ms -> {}", d.kind, d.id, d.event, d.run_id.value_or("-"),
               attempts_done,
               outcome.attempt.status_code ? "HTTP " + std::to_string(*outcome.attempt.status_code)
                                           : outcome.attempt.error.value_or("?"),
               outcome.attempt.latency_ms, status);
  return true;
}

std::optional<std::string> Sender::airflow_token(const json& auth, bool refresh, std::string& error,
                                                 bool& retryable) {
  const std::string url_text = auth.value("token_url", "");
  const std::string key = url_text + "\n" + auth.value("username", "");
  {
    std::lock_guard lock(tokens_mutex_);
    auto it = tokens_.find(key);
    if (!refresh && it != tokens_.end() && it->second.expires_at > options_.clock()) return it->second.token;
    tokens_.erase(key);
  }
  retryable = false;
  const auto url = check_url(url_text, "webhook_auth.token_url", options_.targets);
  if (!url) {
    error = url.error();
    return std::nullopt;
  }
  const auto resolved = resolve(*url, "webhook_auth.token_url", options_.targets);
  if (!resolved.error.empty()) {
    error = resolved.error;
    retryable = !resolved.refused;
    return std::nullopt;
  }
  retryable = true;
  const json credentials = {{"username", auth.value("username", "")}, {"password", auth.value("password", "")}};
  const auto res = request("POST", *url, resolved.addresses, {}, credentials.dump(), kTokenResponseBytes, options_);
  if (res.error) {
    error = "Airflow token request failed: " + error_text(*res.error);
    return std::nullopt;
  }
  if (res.status != 200 && res.status != 201) {
    error = "Airflow token request answered HTTP " + std::to_string(res.status.value_or(0)) +
            " (check webhook_auth username/password)";
    return std::nullopt;
  }
  const auto body = res.body_over_cap ? json() : json::parse(res.body, nullptr, false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    error = res.body_over_cap ? "Airflow token response is over 64 KiB" : "Airflow token response has no access_token";
    return std::nullopt;
  }
  const std::string token = body["access_token"];
  if (std::any_of(token.begin(), token.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    error = "Airflow's access_token cannot be sent in a header: it holds a line break or control character";
    return std::nullopt;
  }
  // Refresh a little before Airflow would refuse it.
  auto expires = options_.clock() + std::chrono::minutes(10);
  if (const auto exp = jwt_expiry(token)) expires = common::from_millis((*exp - 30) * 1000);
  std::lock_guard lock(tokens_mutex_);
  tokens_[key] = {token, expires};
  return token;
}

AttemptOutcome Sender::attempt(const store::Delivery& d, const store::Job& job) {
  Attempt current(options_.clock());
  auto& out = current.out;
  auto finish = [&] { return current.finish(); };
  // Everything stored is checked again as the API would (an older version or a hand edit
  // may have written it); a row that fails is a final error, not a retry.
  auto refuse = [&](std::string error) { return current.refuse(std::move(error)); };
  const auto url = check_url(d.url, "webhook_url", options_.targets);
  if (!url) return refuse(url.error());
  if (auto error = check_headers(job.webhook_headers)) return refuse(*error);
  try {
    (void)service::parse_webhook_auth(job.webhook_auth, options_.targets);
  } catch (const service::UserError& e) {
    return refuse(e.what());
  }
  const auto resolved = resolve(*url, "webhook_url", options_.targets);
  if (!resolved.error.empty()) {
    out.retryable = !resolved.refused;  // a DNS failure may pass
    return refuse(resolved.error);
  }
  const std::string secret = job.webhook_secret.value_or("");
  const auto timestamp = common::to_millis(options_.clock()) / 1000;
  httplib::Headers headers;
  for (const auto& [name, value] : job.webhook_headers.items()) headers.emplace(name, value.get<std::string>());
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
      bool retryable = true;
      const auto token = airflow_token(job.webhook_auth, /*refresh=*/round > 0, error, retryable);
      if (!token) {
        out.retryable = retryable;
        return refuse(error);
      }
      headers.erase("Authorization");
      headers.emplace("Authorization", "Bearer " + *token);
    }
    const auto res = request("POST", *url, resolved.addresses, headers, d.body, kResponseExcerptBytes, options_);
    if (res.error) {
      out.attempt.error = error_text(*res.error);
      out.retryable = retryable(*res.error);
      return finish();
    }
    const int s = res.status.value_or(0);
    out.attempt.status_code = s;
    out.attempt.response_excerpt = res.body;
    if (jwt && round == 0 && (s == 401 || s == 403)) continue;  // token expired early
    out.delivered = (s >= 200 && s < 300) || (s == 409 && airflow_api_of(d.url) != AirflowApi::none);
    out.retryable = s >= 500 || s == 429;
    if ((s == 429 || s == 503) && !res.retry_after.empty()) {
      out.retry_after = parse_retry_after(res.retry_after, options_.clock());
    }
    break;
  }
  return finish();
}

AttemptOutcome Sender::attempt_plain(const store::Delivery& d, const store::Job&) {
  Attempt current(options_.clock());
  auto& out = current.out;
  auto finish = [&] { return current.finish(); };
  auto refuse = [&](std::string error) { return current.refuse(std::move(error)); };
  if (d.kind != store::delivery_kind::slack && d.kind != store::delivery_kind::openlineage) {
    return refuse("this delivery cannot be sent: unknown kind '" + shorten(d.kind) + "'");
  }
  const std::string field = d.kind + " URL";
  const auto url = check_url(d.url, field, options_.targets);
  if (!url) return refuse(url.error());
  const auto resolved = resolve(*url, field, options_.targets);
  if (!resolved.error.empty()) {
    out.retryable = !resolved.refused;
    return refuse(resolved.error);
  }
  httplib::Headers headers{{"User-Agent", options_.user_agent}, {"X-Dagctl-Delivery", d.id}};
  if (d.kind == store::delivery_kind::openlineage && !options_.openlineage_api_key.empty()) {
    headers.emplace("Authorization", "Bearer " + options_.openlineage_api_key);
  }
  const auto res = request("POST", *url, resolved.addresses, headers, d.body, kResponseExcerptBytes, options_);
  if (res.error) {
    out.retryable = retryable(*res.error);
    return refuse(error_text(*res.error));
  }
  const int s = res.status.value_or(0);
  out.attempt.status_code = s;
  out.attempt.response_excerpt = res.body;
  out.delivered = s >= 200 && s < 300;
  out.retryable = s >= 500 || s == 429;
  if ((s == 429 || s == 503) && !res.retry_after.empty()) {
    out.retry_after = parse_retry_after(res.retry_after, options_.clock());
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
