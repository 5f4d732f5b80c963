// Outbox: decides which deliveries a finished run owes (a webhook, and the other kinds of
// docs/webhooks.md#kinds-of-delivery) and hands them to the store, which records them in
// the same transaction as the run's terminal status (docs/webhooks.md, docs/storage.md).
// The Sender then delivers what the store holds, so a crash loses nothing.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "daemon/store/store.hpp"
#include "daemon/webhooks/run_context.hpp"

namespace dagctl::daemon::webhooks {

// A new pending delivery of `kind` for `job`, due now, with a fresh id.
store::Delivery new_delivery(const store::Job& job, const std::string& kind, const std::string& event,
                             const std::string& url, std::string body);

class Outbox {
public:
  Outbox(store::Store& store, store::Organization org, OutboxOptions options = {})
      : store_(store), org_(std::move(org)), options_(std::move(options)) {}

  // The delivery-building callback for RunStore::finish of `run`. It reads the job, project
  // and nodes now (outside the store's transaction) and builds the bodies from the run as
  // it is finally stored.
  store::DeliveryOwed owed_for(const store::Run& run);
  // A delivery of a test event (job.test) for the job, ignoring webhook_events.
  store::Delivery test_delivery(const store::Job& job, const store::Project& project);

  const OutboxOptions& options() const { return options_; }

  // Called after something was queued, so the sender looks at once.
  void set_listener(std::function<void()> listener) { listener_ = std::move(listener); }
  void notify() const {
    if (listener_) listener_();
  }

private:
  store::Store& store_;
  store::Organization org_;
  OutboxOptions options_;
  std::function<void()> listener_;
};

}  // namespace dagctl::daemon::webhooks
