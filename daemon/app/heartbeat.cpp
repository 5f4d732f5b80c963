#include "daemon/app/heartbeat.hpp"

#include <spdlog/spdlog.h>

#include "daemon/store/retry.hpp"

namespace dagctl::daemon::app {

Heartbeat::Heartbeat(store::Store& store, runner::Dispatcher& dispatcher, webhooks::Outbox* outbox,
                     metrics::Metrics* metrics)
    : store_(store),
      dispatcher_(dispatcher),
      outbox_(outbox),
      metrics_(metrics),
      last_renewed_(common::now()),
      worker_("heartbeat: renewing this daemon's leases", [this] { return beat(); }, store::log_to_spdlog) {}

std::optional<common::Clock::time_point> Heartbeat::beat() {
  renew();
  reap();
  return common::Clock::now() + store_.owner().lease / 3;
}

void Heartbeat::renew() {
  const auto now = common::now();
  try {
    store_.daemons().heartbeat(store_.owner().daemon_id, now);
    dispatcher_.lose(store_.runs().renew_leases(dispatcher_.running_ids(), now + store_.owner().lease));
    last_renewed_ = now;
  } catch (const std::exception& e) {
    spdlog::warn("heartbeat: cannot renew this daemon's leases: {}", e.what());
    // Other daemons may end these runs from now on: stop them rather than run them twice.
    if (now - last_renewed_ >= store_.owner().lease) dispatcher_.lose(dispatcher_.running_ids());
  }
}

void Heartbeat::reap() {
  std::vector<store::LostRun> lost;
  try {
    lost = store_.runs().expired(common::now());
  } catch (const std::exception& e) {
    spdlog::warn("heartbeat: cannot look for lost daemons' runs: {}", e.what());
    return;
  }
  for (const auto& l : lost) {
    const std::string message = "daemon lost: " + l.daemon_id + " on " + (l.host.empty() ? "an unknown host" : l.host) +
                                " stopped renewing its lease";
    const auto end_time = common::now();
    const auto end = [&](const store::DeliveryOwed& owed) { return store_.runs().end_lost(l, end_time, message, owed); };
    bool done = false;
    try {
      try {
        done = end(outbox_ ? outbox_->owed_for(l.run) : store::DeliveryOwed{});
      } catch (const std::exception& e) {
        // As recovery does (runner/recovery.cpp): a webhook that cannot be built must not
        // keep the run running forever.
        if (store::is_transient(e)) throw;
        spdlog::error("run {}: the webhook it owes cannot be stored ({}); ending it without", l.run.id, e.what());
        done = end({});
      }
    } catch (const std::exception& e) {
      spdlog::warn("heartbeat: cannot end run {} of lost daemon {}: {}", l.run.id, l.daemon_id, e.what());
      continue;
    }
    if (!done) continue;  // its daemon renewed meanwhile, or it ended
    spdlog::error("run {} ended error: {}", l.run.id, message);
    if (outbox_) outbox_->notify();
    if (metrics_) metrics_->run_finished(l.run, common::RunStatus::error, end_time);
    dispatcher_.run_ends().notify();
    dispatcher_.wake();  // its project is free
  }
}

}  // namespace dagctl::daemon::app
