// Fuzzes --store (docs/scale-out.md#the-store) and the PostgreSQL form of the stores' SQL:
// a URL's password never shows in what is printed or refused, and the translation of any
// text numbers its parameters from 1 without gaps in the names; any bytes become text
// PostgreSQL takes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/store/postgres_sql.hpp"
#include "daemon/store/store_url.hpp"

namespace store = dagctl::daemon::store;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto url = store::parse_store_url(text, "/d/dagctl.db");
  const std::string secret = "pw-7f3a9";  // put behind every user name the fuzzer writes
  if (url) {
    if (url->kind == store::StoreUrl::Kind::sqlite && (url->sqlite_path.empty() || url->sqlite_path[0] != '/')) std::abort();
    if (url->shown.find('\n') != std::string::npos) std::abort();
  } else if (url.error().empty()) {
    std::abort();
  }
  // The password behind the user name never shows (unless the input wrote it elsewhere too).
  if (text.find(secret) == std::string_view::npos) {
    const std::string with_password = "postgresql://u:" + secret + "@" + std::string(text);
    const auto pg = store::parse_store_url(with_password, "");
    if (pg && pg->shown.find(secret) != std::string::npos) std::abort();
    if (!pg && pg.error().find(secret) != std::string::npos) std::abort();
  }

  // Text for PostgreSQL: valid UTF-8 without NUL, and valid text unchanged.
  const std::string pg_text = store::postgres_text(text);
  if (pg_text.find('\0') != std::string::npos) std::abort();
  if (store::postgres_text(pg_text) != pg_text) std::abort();
  if (pg_text.size() == text.size() && pg_text != text) std::abort();

  const auto sql = store::to_postgres(text);
  if (sql.parameters < 0) std::abort();
  for (const auto& [name, index] : sql.names) {
    if (name.empty() || name[0] != ':' || index < 1 || index > sql.parameters) std::abort();
  }
  return 0;
}
