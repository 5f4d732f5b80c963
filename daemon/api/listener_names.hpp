// The names a browser may use for dagctld's TCP listener (docs/security.md#web-ui): the
// Host header of a browser request must be one of them, so a web page the user visits
// cannot reach the API through a name of its own that resolves to 127.0.0.1 (DNS
// rebinding). Also the address `dagctl ui`'s login link names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dagctl::daemon::api {

class ListenerNames {
public:
  // `http_address` as dagctld.json's "http" names it: "127.0.0.1:8780", "[::1]:8780",
  // "0.0.0.0:8780"; empty when there is no TCP listener (--listen none).
  explicit ListenerNames(const std::string& http_address);

  bool has_listener() const { return !base_url_.empty(); }
  // "http://127.0.0.1:8780". A wildcard listener (0.0.0.0, [::]) is reached through
  // loopback; any other address as it is.
  const std::string& base_url() const { return base_url_; }
  // 127.0.0.1:PORT, localhost:PORT, [::1]:PORT and the --listen address; letter case aside.
  bool allows_host(std::string_view host) const;
  // The names, for a message.
  std::string list() const;

private:
  std::vector<std::string> hosts_;  // lower case
  std::string base_url_;
};

}  // namespace dagctl::daemon::api
