// Client: the CLI's only way to the daemon, HTTP over the Unix socket. Failures become
// CliError with one line that says what to do (the watchman way: name the socket and
// how to start the daemon).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace httplib {
class Client;
}

namespace dagctl::cli {

// An error the CLI reports as "dagctl: error: <message>" and exits with `exit_code`.
class CliError : public std::runtime_error {
public:
  explicit CliError(const std::string& message, int exit_code = 2, int http_status = 0)
      : std::runtime_error(message), exit_code_(exit_code), http_status_(http_status) {}
  int exit_code() const { return exit_code_; }
  // The daemon's answer when it refused the request (404, 409, ...); 0 otherwise.
  int http_status() const { return http_status_; }

private:
  int exit_code_;
  int http_status_;
};

// Lets another thread end a Client::stream at once (Ctrl-C while a run is followed):
// stop() closes the stream's connection, and stream() then returns without an error.
class StreamStop {
public:
  void stop();
  bool stopped() const;

private:
  friend class Client;
  mutable std::mutex mutex_;
  httplib::Client* client_ = nullptr;  // the stream's, while it runs
  bool stopped_ = false;
};

class Client {
public:
  explicit Client(std::string socket_path) : socket_(std::move(socket_path)) {}
  const std::string& socket() const { return socket_; }

  nlohmann::json get(const std::string& path) const;
  nlohmann::json post(const std::string& path, const std::optional<nlohmann::json>& body = std::nullopt) const;
  nlohmann::json patch(const std::string& path, const nlohmann::json& body) const;
  void del(const std::string& path) const;
  nlohmann::json del_json(const std::string& path) const;
  // Streams a text body (logs) to `sink` as it arrives; returns when the server ends it.
  void stream(const std::string& path, const std::function<void(std::string_view)>& sink) const;
  // The same, ended early by `stop` (from another thread).
  void stream(const std::string& path, const std::function<void(std::string_view)>& sink, StreamStop& stop) const;
  // True when a daemon answers on the socket.
  bool reachable() const;

private:
  nlohmann::json request(const std::string& method, const std::string& path,
                         const std::optional<nlohmann::json>& body) const;
  std::string socket_;
};

// Percent-encodes one path segment or query value.
std::string url_encode(const std::string& text);

}  // namespace dagctl::cli
