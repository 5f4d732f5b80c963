#include "daemon/webhooks/signing.hpp"

#include "common/crypto.hpp"
#include "common/random.hpp"

namespace dagctl::daemon::webhooks {

namespace {
constexpr std::string_view kPrefix = "whsec_";
}

std::string generate_secret() { return std::string(kPrefix) + common::base64_encode(common::random_bytes(32)); }

std::string github_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + common::hex(common::hmac_sha256(secret, body));
}

std::optional<std::string> standard_signature(std::string_view secret, std::string_view id,
                                              std::int64_t timestamp, std::string_view body) {
  if (secret.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto key = common::base64_decode(secret.substr(kPrefix.size()));
  if (!key) return std::nullopt;
  std::string signed_content;
  signed_content.reserve(id.size() + body.size() + 24);
  signed_content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  return "v1," + common::base64_encode(common::hmac_sha256(*key, signed_content));
}

}  // namespace dagctl::daemon::webhooks
