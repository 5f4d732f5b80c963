#include "daemon/webhooks/http_client.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace dagctl::daemon::webhooks {

using SteadyClock = std::chrono::steady_clock;

namespace {

std::unique_ptr<httplib::ClientImpl> make_client(const Url& url, const SenderOptions& options) {
  // Built from our parsed URL, not httplib::Client's own (regex) parser.
  std::unique_ptr<httplib::ClientImpl> client;
  if (url.scheme == "https") {
    auto tls = std::make_unique<httplib::SSLClient>(url.host, url.port);
    tls->enable_server_certificate_verification(true);
    if (!options.ca_bundle.empty()) tls->set_ca_cert_path(options.ca_bundle);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  client->set_connection_timeout(options.timeout);
  client->set_read_timeout(options.timeout);
  client->set_write_timeout(options.timeout);
  return client;
}

}  // namespace

Answer request(const std::string& method, const Url& url, const std::vector<std::string>& addresses,
               httplib::Headers headers, const std::string& body, std::size_t body_cap,
               const SenderOptions& options) {
  headers.emplace("Host", url.host_header());
  if (method == "POST") headers.emplace("Content-Type", "application/json");
  Answer out;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    out = Answer{};
    auto client = make_client(url, options);
    if (addresses[i] != url.host) client->set_hostname_addr_map({{url.host, addresses[i]}});
    const auto deadline = SteadyClock::now() + 2 * options.timeout;
    httplib::Request req;
    req.method = method;
    req.path = url.target;
    req.headers = headers;
    req.body = body;
    req.response_handler = [&out](const httplib::Response& r) {
      out.status = r.status;
      if (r.has_header("Retry-After")) out.retry_after = r.get_header_value("Retry-After");
      return true;
    };
    req.content_receiver = [&out, body_cap, deadline](const char* data, size_t n, uint64_t, uint64_t) {
      const std::size_t room = body_cap - out.body.size();
      out.body.append(data, std::min(n, room));
      if (n > room) {
        out.body_over_cap = true;
        return false;  // the rest is not needed: stop reading
      }
      return SteadyClock::now() < deadline;
    };
    // The read timeout is per read: an answer dribbled a byte at a time (its headers too)
    // would hold this attempt, its in-flight slot and dagctld's stop forever. At the
    // deadline the socket is shut down, which ends the request with an error.
    std::mutex watch_mutex;
    std::condition_variable watch_done;
    bool finished = false;
    std::thread watchdog([&] {
      std::unique_lock lock(watch_mutex);
      if (!watch_done.wait_until(lock, deadline, [&] { return finished; })) client->stop();
    });
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client->send(req, res, error);
    {
      std::lock_guard lock(watch_mutex);
      finished = true;
    }
    watch_done.notify_one();
    watchdog.join();
    if (sent) {
      out.status = res.status;
    } else if (!out.status) {
      out.error = error;
      if (error == httplib::Error::Connection && i + 1 < addresses.size()) continue;
    }
    return out;
  }
  return out;
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

bool retryable(httplib::Error e) {
  return e != httplib::Error::SSLServerVerification && e != httplib::Error::SSLLoadingCerts;
}

}  // namespace dagctl::daemon::webhooks
