// Outbox: decides which webhook a finished run owes and hands it to the store, which
// records it in the same transaction as the run's terminal status (docs/webhooks.md, docs/storage.md).
// The Sender then delivers what the store holds, so a crash loses nothing.
#pragma once

#include <functional>
#include <string>

#include "daemon/store/store.hpp"

namespace dagctl::daemon::webhooks {

class Outbox {
public:
  Outbox(store::Store& store, store::Organization org) : store_(store), org_(std::move(org)) {}

  // The delivery-building callback for RunStore::finish of `run`. It reads the job and
  // project now (outside the store's transaction) and builds the body from the run as it
  // is finally stored.
  store::DeliveryOwed owed_for(const store::Run& run);
  // A delivery of a test event (job.test) for the job, ignoring webhook_events.
  store::Delivery test_delivery(const store::Job& job, const store::Project& project);

  // Called after something was queued, so the sender looks at once.
  void set_listener(std::function<void()> listener) { listener_ = std::move(listener); }
  void notify() const {
    if (listener_) listener_();
  }

private:
  store::Store& store_;
  store::Organization org_;
  std::function<void()> listener_;
};

}  // namespace dagctl::daemon::webhooks
