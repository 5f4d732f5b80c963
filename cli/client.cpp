#include "cli/client.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <cctype>
#include <filesystem>
#include <fmt/format.h>

namespace dagctl::cli {

namespace {

std::unique_ptr<httplib::Client> connect(const std::string& socket) {
  auto client = std::make_unique<httplib::Client>(socket);
  client->set_address_family(AF_UNIX);
  client->set_connection_timeout(2);
  client->set_read_timeout(60);
  return client;
}

CliError unreachable(const std::string& socket, httplib::Error error) {
  std::error_code ec;
  const std::string why = !std::filesystem::exists(socket, ec) ? "no socket there"
                          : error == httplib::Error::Connection ? "nothing answers on it"
                                                                : "connection failed: " + httplib::to_string(error);
  return CliError("cannot reach dagctld at " + socket + " (" + why +
                  "); start it with: dagctl daemon start (or pass --socket / DAGCTL_SOCKET)");
}

// The daemon's error body is {"error": {"code", "message"}}; its message says what to do.
CliError api_error(const httplib::Response& res) {
  const auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    return CliError(body["error"].value("message", "the daemon answered " + std::to_string(res.status)), 2, res.status);
  }
  return CliError(fmt::format("the daemon answered HTTP {}", res.status), 2, res.status);
}

}  // namespace

std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

nlohmann::json Client::request(const std::string& method, const std::string& path,
                               const std::optional<nlohmann::json>& body) const {
  auto client = connect(socket_);
  const std::string payload = body ? body->dump() : std::string();
  httplib::Result res = method == "GET"     ? client->Get(path)
                        : method == "POST"  ? client->Post(path, payload, "application/json")
                        : method == "PATCH" ? client->Patch(path, payload, "application/json")
                                            : client->Delete(path);
  if (!res) throw unreachable(socket_, res.error());
  if (res->status >= 400) throw api_error(*res);
  if (res->body.empty()) return nullptr;
  auto json = nlohmann::json::parse(res->body, nullptr, false);
  if (json.is_discarded()) throw CliError("the daemon sent a reply that is not JSON; is " + socket_ + " a dagctld socket?");
  return json;
}

nlohmann::json Client::get(const std::string& path) const { return request("GET", path, std::nullopt); }
nlohmann::json Client::post(const std::string& path, const std::optional<nlohmann::json>& body) const {
  return request("POST", path, body);
}
nlohmann::json Client::patch(const std::string& path, const nlohmann::json& body) const {
  return request("PATCH", path, body);
}
void Client::del(const std::string& path) const { request("DELETE", path, std::nullopt); }
nlohmann::json Client::del_json(const std::string& path) const { return request("DELETE", path, std::nullopt); }

void StreamStop::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  if (client_) client_->stop();
}

bool StreamStop::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

void Client::stream(const std::string& path, const std::function<void(std::string_view)>& sink) const {
  StreamStop never;
  stream(path, sink, never);
}

void Client::stream(const std::string& path, const std::function<void(std::string_view)>& sink,
                    StreamStop& stop) const {
  auto client = connect(socket_);
  // A dbt model can be silent for a long time; the stream ends when the run does.
  client->set_read_timeout(24 * 3600);
  {
    std::lock_guard lock(stop.mutex_);
    if (stop.stopped_) return;
    stop.client_ = client.get();
  }
  struct Forget {  // the client dies with this call: stop() must not reach it afterwards
    StreamStop& stop;
    ~Forget() {
      std::lock_guard lock(stop.mutex_);
      stop.client_ = nullptr;
    }
  } forget{stop};
  std::string error_body;
  int status = 0;
  auto res = client->Get(
      path,
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status >= 400) {
          error_body.append(data, size);
        } else {
          sink(std::string_view(data, size));
        }
        return !stop.stopped();
      });
  if (stop.stopped()) return;
  if (!res) throw unreachable(socket_, res.error());
  if (status >= 400) {
    httplib::Response r;
    r.status = status;
    r.body = error_body;
    throw api_error(r);
  }
}

bool Client::reachable() const {
  auto client = connect(socket_);
  client->set_connection_timeout(1);
  auto res = client->Get("/api/v1/health");
  return res && res->status == 200;
}

}  // namespace dagctl::cli
