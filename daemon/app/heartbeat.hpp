// The daemon's heartbeat when several daemons share a database (docs/runs.md, Several
// daemons): every lease/3 it marks this daemon alive, renews the leases of the runs it runs
// (stopping those it no longer holds) and ends other daemons' runs whose lease passed.
#pragma once

#include <chrono>

#include "common/time.hpp"
#include "common/worker_thread.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/runner/dispatcher.hpp"
#include "daemon/store/store.hpp"
#include "daemon/webhooks/outbox.hpp"

namespace dagctl::daemon::app {

class Heartbeat {
public:
  // The daemon's id and lease are the store's owner (store::Store::set_owner).
  Heartbeat(store::Store& store, runner::Dispatcher& dispatcher, webhooks::Outbox* outbox,
            metrics::Metrics* metrics = nullptr);
  void start() { worker_.start(); }
  void shutdown() { worker_.stop(); }
  // One beat, on the caller's thread (tests).
  void beat_now() { beat(); }

private:
  std::optional<common::Clock::time_point> beat();
  void renew();
  void reap();

  store::Store& store_;
  runner::Dispatcher& dispatcher_;
  webhooks::Outbox* outbox_;
  metrics::Metrics* metrics_;
  common::TimePoint last_renewed_;
  common::WorkerThread worker_;  // last: its thread uses everything above
};

}  // namespace dagctl::daemon::app
