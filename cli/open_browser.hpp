// Opening a URL in the user's browser for `dagctl ui` (docs/cli.md): $BROWSER when set,
// else xdg-open when there is a display; spawned without a shell, the URL one argv word.
#pragma once

#include <string>

namespace dagctl::cli {

// "" when a browser was started; else why not, for a message ("no display (DISPLAY and
// WAYLAND_DISPLAY are unset)", "xdg-open failed (exit status 3)").
std::string open_in_browser(const std::string& url);

}  // namespace dagctl::cli
