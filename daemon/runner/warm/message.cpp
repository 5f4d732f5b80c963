#include "daemon/runner/warm/message.hpp"

#include <nlohmann/json.hpp>

namespace dagctl::daemon::runner::warm {

namespace {

constexpr std::size_t kMaxField = 4096;
constexpr std::size_t kMaxWatched = 512;

// A string field, cut to `max` bytes on a UTF-8 boundary; "" when absent or not a string.
std::string text(const nlohmann::json& m, const char* key, std::size_t max = kMaxField) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_string()) return "";
  std::string s = it->get<std::string>();
  if (s.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
  }
  return s;
}

std::optional<int> integer(const nlohmann::json& m, const char* key, int low, int high) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_number_integer()) return std::nullopt;
  const auto v = it->get<std::int64_t>();
  if (v < low || v > high) return std::nullopt;
  return static_cast<int>(v);
}

}  // namespace

common::Result<WorkerMessage> parse_worker_message(std::string_view bytes) {
  const auto m = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (!m.is_object()) return common::make_error("not a JSON object");
  WorkerMessage out;
  const std::string event = text(m, "event", 32);
  if (event == "hello") {
    out.kind = WorkerMessage::Kind::hello;
    out.dbt_version = text(m, "dbt_version", 64);
    if (const auto w = m.find("watch"); w != m.end() && w->is_array()) {
      for (const auto& f : *w) {
        if (out.watch.size() == kMaxWatched) break;
        if (f.is_string() && f.get_ref<const std::string&>().size() <= kMaxField &&
            f.get_ref<const std::string&>().starts_with('/') &&
            f.get_ref<const std::string&>().find('\0') == std::string::npos) {
          out.watch.push_back(f.get<std::string>());
        }
      }
    }
  } else if (event == "unusable") {
    out.kind = WorkerMessage::Kind::unusable;
    out.reason = text(m, "reason", kMaxReasonBytes);
    if (out.reason.empty()) out.reason = "the worker cannot run dbt";
  } else if (event == "parsing") {
    out.kind = WorkerMessage::Kind::parsing;
  } else if (event == "parsed") {
    out.kind = WorkerMessage::Kind::parsed;
    const auto ok = m.find("ok");
    out.ok = ok != m.end() && ok->is_boolean() && ok->get<bool>();
    if (!out.ok) out.reason = text(m, "reason", kMaxReasonBytes);
  } else if (event == "started" || event == "refused" || event == "exited") {
    out.run_id = text(m, "run_id", 64);
    if (out.run_id.empty()) return common::make_error(event + " without a run_id");
    if (event == "started") {
      out.kind = WorkerMessage::Kind::started;
    } else if (event == "refused") {
      out.kind = WorkerMessage::Kind::refused;
      out.reason = text(m, "reason", kMaxReasonBytes);
      if (out.reason.empty()) out.reason = "the worker refused the run";
    } else {
      out.kind = WorkerMessage::Kind::exited;
      ExitStatus e;
      if (const auto sig = integer(m, "signal", 1, 64)) {
        e.signal = *sig;
      } else if (const auto code = integer(m, "exit_code", 0, 255)) {
        e.exit_code = *code;
      } else {
        return common::make_error("exited without an exit_code or signal");
      }
      out.exit = e;
    }
  } else {
    return common::make_error("unknown event");
  }
  return out;
}

}  // namespace dagctl::daemon::runner::warm
