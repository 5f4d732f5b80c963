// Fuzzes a job's create/PATCH body (docs/api.md, caps in docs/limits.md): bytes parsed as
// JSON as the API parses them, then the job field checks. A UserError 400 is an answer;
// any other exception, a crash, or a message that echoes a large part of the input is a
// finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/dbt_command.hpp"
#include "daemon/service/errors.hpp"
#include "daemon/service/job_fields.hpp"

namespace dd = dagctl::daemon;

namespace {

const dd::service::JobFieldRules& rules() {
  static const dd::service::JobFieldRules r = [] {
    dd::service::JobFieldRules out;
    out.check_command = [](const std::string& command) {
      auto words = dagctl::common::validate_dbt_command(command, "command");
      if (!words) throw dd::service::bad_request(words.error());
    };
    out.targets = dd::webhooks::make_policy(false, "127.0.0.1:8780");
    return out;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  dd::store::Job job;
  try {
    dd::service::apply_job_fields(job, body, rules());
  } catch (const dd::service::UserError& e) {
    // Messages quote at most a little of what was sent.
    if (e.http_status() != 400 || std::strlen(e.what()) == 0 || std::strlen(e.what()) > 1024) std::abort();
    return 0;
  }
  // What was accepted is what the store will hold: it must pass the same checks again.
  if (job.webhook_url && !dd::webhooks::check_url(*job.webhook_url, "webhook_url", rules().targets)) std::abort();
  if (dd::webhooks::check_headers(job.webhook_headers)) std::abort();
  if (job.name.size() > 64) std::abort();
  return 0;
}
