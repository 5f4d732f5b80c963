#include "daemon/store/errors.hpp"

namespace dagctl::daemon::store {

bool is_transient(const std::exception& e) {
  if (dynamic_cast<const StoreBusy*>(&e)) return true;
  const auto* db = dynamic_cast<const DatabaseError*>(&e);
  return db && db->transient();
}

}  // namespace dagctl::daemon::store
