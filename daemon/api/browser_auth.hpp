// How the router treats a browser (docs/security.md#web-ui): the session its
// `dagctl_session` cookie names, the Host check against DNS rebinding, the CSRF check on
// changes, and the security headers of every page.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "daemon/api/listener_names.hpp"
#include "daemon/service/tokens.hpp"
#include "daemon/service/ui_sessions.hpp"

namespace dagctl::daemon::api {

inline constexpr const char* kSessionCookie = "dagctl_session";

class BrowserAuth {
public:
  BrowserAuth(service::UiSessions& sessions, service::Tokens& tokens, const std::string& http_address)
      : sessions_(sessions), tokens_(tokens), names_(http_address) {}

  service::UiSessions& sessions() const { return sessions_; }
  service::Tokens& tokens() const { return tokens_; }
  const ListenerNames& names() const { return names_; }

  bool has_cookie(const httplib::Request& req) const;
  // 403 host_not_allowed unless the Host header is one of the listener's own names.
  void require_own_host(const httplib::Request& req) const;
  // The live session the cookie names. A token session's token is checked again: when it
  // was revoked or expired, the session ends and this throws 401. nullopt without one.
  std::optional<service::UiSession> session(const httplib::Request& req) const;
  // A change (not GET/HEAD) in a session: X-CSRF-Token must be the session's, and Origin,
  // when sent, this listener's; else 403 csrf_failed.
  void require_csrf(const httplib::Request& req, const service::UiSession& session) const;
  // Origin when sent must be http://<Host>: 403 csrf_failed otherwise ("null" included).
  void require_same_origin(const httplib::Request& req) const;

  // Set-Cookie values that start and end a session.
  static std::string session_cookie(const std::string& id);
  static std::string cleared_cookie();
  // The Content-Security-Policy and the other headers of every page and /login; a header
  // the handler set already stays as it is.
  static void add_page_headers(httplib::Response& res);

private:
  service::UiSessions& sessions_;
  service::Tokens& tokens_;
  ListenerNames names_;
};

}  // namespace dagctl::daemon::api
