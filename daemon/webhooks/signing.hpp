// Webhook secrets and signatures (docs/webhooks.md): GitHub-style X-Dagctl-Signature and the
// Standard Webhooks `webhook-signature`, both HMAC-SHA256 over the exact body bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dagctl::daemon::webhooks {

// "whsec_" + base64 of 32 random bytes.
std::string generate_secret();
// "sha256=<lower-case hex HMAC-SHA256>", keyed by the whole secret string (as GitHub does).
std::string github_signature(std::string_view secret, std::string_view body);
// "v1,<base64 HMAC-SHA256 of 'id.timestamp.body'>", keyed by the base64-decoded part of
// the secret after "whsec_" (the Standard Webhooks spec). nullopt if the secret is not
// of that form.
std::optional<std::string> standard_signature(std::string_view secret, std::string_view id,
                                              std::int64_t timestamp, std::string_view body);

}  // namespace dagctl::daemon::webhooks
