#include "daemon/api/login_pages.hpp"

namespace dagctl::daemon::api {

namespace {

std::string escape_html(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string page(std::string_view title, const std::string& main) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         std::string(title) +
         " · dagctl</title>\n<link rel=\"stylesheet\" href=\"/ui/login.css\">\n</head>\n<body>\n<main class=\"login\">\n"
         "<h1>dagctl</h1>\n" +
         main + "</main>\n</body>\n</html>\n";
}

}  // namespace

std::string login_form_page(std::string_view problem) {
  std::string main;
  if (!problem.empty()) main += "<p class=\"problem\" role=\"alert\" data-test=\"login-problem\">" + escape_html(problem) + "</p>\n";
  main +=
      "<p>To open the web UI, run <code>dagctl ui</code> on the machine where dagctld runs. "
      "It opens a one-time login link in your browser.</p>\n"
      "<p>Or log in with an API token. You can do what the token's scope allows.</p>\n"
      "<form method=\"post\" action=\"/login\">\n"
      "<label for=\"token\">API token</label>\n"
      "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" placeholder=\"dctl_...\" required "
      "data-test=\"login-token\">\n"
      "<button type=\"submit\" data-test=\"login-submit\">Log in</button>\n"
      "</form>\n";
  return page("Log in", main);
}

std::string invalid_link_page() {
  return page("Login link not valid",
              "<p class=\"problem\" role=\"alert\" data-test=\"login-link-invalid\">This login link is not valid. "
              "It may have been used already or be older than 2 minutes.</p>\n"
              "<p>Run <code>dagctl ui</code> again to get a new link.</p>\n"
              "<p><a href=\"/login\">Log in with an API token instead</a></p>\n");
}

std::string_view login_stylesheet() {
  return R"css(:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; }
.login { max-width: 26rem; padding: 2rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
p { line-height: 1.5; }
code { font-family: ui-monospace, monospace; padding: 0 0.2em; border: 1px solid #8884; border-radius: 3px; }
.problem { padding: 0.6rem 0.8rem; border-left: 4px solid #c33; background: #c331; }
form { display: flex; flex-direction: column; gap: 0.5rem; margin-top: 1rem; }
input, button { font: inherit; padding: 0.5rem; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #36c; outline-offset: 2px; }
)css";
}

}  // namespace dagctl::daemon::api
