// The web UI's files (index.html, the JavaScript modules, the CSS), built into the binary
// by cmake/EmbedUi.cmake so dagctld serves them offline (docs/ui.md).
#pragma once

#include <cstddef>
#include <string_view>

namespace dagctl::daemon::ui {

struct Asset {
  const char* bytes;
  std::size_t size;
  const char* content_type;  // with its charset for text
  const char* etag;          // quoted, from the file's SHA-256
};

// `path` relative to daemon/ui/ ("app.js", "pages/run.js"); nullptr when there is no such file.
const Asset* find_asset(std::string_view path);

}  // namespace dagctl::daemon::ui
