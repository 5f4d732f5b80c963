// A daemon id already in use by a live daemon (docs/runs.md, Several daemons): a data dir or
// image copied with its daemon-id file would otherwise take that daemon's running runs for
// its own dead ones, end them and stop their dbt.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "daemon/store/daemon_store.hpp"

namespace dagctl::daemon::store {

// Why a daemon starting as `id` on `host` (pid `pid`) must not. A row is alive when not
// stopped and its heartbeat is younger than `lease`; it is another daemon when it is on
// another host, or on this host at a pid that `is_live_daemon_here` says is a running
// dagctld other than this one (else it is this daemon's own last life, e.g. after kill -9).
std::optional<std::string> live_twin(const std::vector<DaemonRecord>& daemons, const std::string& id,
                                     const std::string& host, std::int64_t pid, common::TimePoint now,
                                     std::chrono::milliseconds lease,
                                     const std::function<bool(std::int64_t)>& is_live_daemon_here);

}  // namespace dagctl::daemon::store
