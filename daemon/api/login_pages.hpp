// The login pages' HTML and their stylesheet (docs/security.md#web-ui): small and
// self-contained, with no inline script or style (the Content-Security-Policy forbids both).
#pragma once

#include <string>
#include <string_view>

namespace dagctl::daemon::api {

// The form to log in with a `dctl_` token; `problem`, when not empty, says why the last
// try failed.
std::string login_form_page(std::string_view problem);
// A login link that is unknown, used or expired.
std::string invalid_link_page();
// /ui/login.css
std::string_view login_stylesheet();

}  // namespace dagctl::daemon::api
