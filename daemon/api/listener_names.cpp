#include "daemon/api/listener_names.hpp"

#include <algorithm>
#include <cctype>

namespace dagctl::daemon::api {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

ListenerNames::ListenerNames(const std::string& http_address) {
  const auto colon = http_address.rfind(':');
  if (http_address.empty() || colon == std::string::npos) return;
  const std::string host = lower(http_address.substr(0, colon));
  const std::string port = http_address.substr(colon + 1);
  for (const std::string name : {"127.0.0.1", "localhost", "[::1]"}) {
    hosts_.push_back(name + ":" + port);
    if (port == "80") hosts_.push_back(name);  // browsers leave the default port out
  }
  if (host != "0.0.0.0" && host != "[::]") {
    if (std::find(hosts_.begin(), hosts_.end(), host + ":" + port) == hosts_.end()) hosts_.push_back(host + ":" + port);
    if (port == "80" && std::find(hosts_.begin(), hosts_.end(), host) == hosts_.end()) hosts_.push_back(host);
    base_url_ = "http://" + host + ":" + port;
  } else {
    base_url_ = "http://" + std::string(host == "[::]" ? "[::1]" : "127.0.0.1") + ":" + port;
  }
}

bool ListenerNames::allows_host(std::string_view host) const {
  if (host.empty() || host.size() > 300) return false;
  return std::find(hosts_.begin(), hosts_.end(), lower(host)) != hosts_.end();
}

std::string ListenerNames::list() const {
  std::string out;
  for (const auto& h : hosts_) out += (out.empty() ? "" : ", ") + h;
  return out;
}

}  // namespace dagctl::daemon::api
