// What the web UI's login links and sessions share (docs/security.md#web-ui): maps keyed by
// the SHA-256 (hex) of a secret, found in constant time, capped by dropping the oldest.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/time.hpp"

namespace dagctl::daemon::service::secret_map {

// Longer input is no secret of ours: refused before it is hashed.
constexpr std::size_t kMaxSecretChars = 128;

// Drops the expired entries, then the soonest to expire (the oldest: lifetimes are fixed)
// until one more fits under `cap`.
template <typename Map, typename Expiry>
void make_room(Map& map, std::size_t cap, common::TimePoint now, Expiry expiry) {
  std::erase_if(map, [&](const auto& entry) { return expiry(entry.second) <= now; });
  while (!map.empty() && map.size() >= cap) {
    map.erase(std::min_element(map.begin(), map.end(), [&](const auto& a, const auto& b) {
      return expiry(a.second) < expiry(b.second);
    }));
  }
}

// The entry a secret names: found by its hash (so timing tells nothing of the secret), and
// the hash compared once more in constant time, as the token check does.
template <typename Map>
typename Map::iterator find(Map& map, std::string_view secret) {
  if (secret.empty() || secret.size() > kMaxSecretChars) return map.end();
  const std::string key = common::sha256_hex(secret);
  const auto it = map.find(key);
  if (it == map.end() || !common::constant_time_equals(it->first, key)) return map.end();
  return it;
}

}  // namespace dagctl::daemon::service::secret_map
