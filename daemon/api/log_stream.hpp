// A run's log over HTTP (GET /api/v1/runs/{run_id}/logs, docs/api.md, Logs): from a byte
// offset, and with follow=true on until the run ends; one buffer at a time whatever the
// log's size.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "daemon/api/http_util.hpp"
#include "daemon/service/service.hpp"

namespace dagctl::daemon::api {

// The most `logs?follow=true` streams one listener serves at once; one more answers 503
// with Retry-After. Each holds a worker thread for its run's length, so the caps stay well
// below the listener's threads (daemon.cpp): triggers and status polls always find one.
constexpr int kMaxFollowersTcp = 32;
constexpr int kMaxFollowersSocket = 48;

class LogStreams {
public:
  LogStreams(service::Service& service, std::string data_dir)
      : service_(service), data_dir_(std::move(data_dir)) {}
  LogStreams(const LogStreams&) = delete;
  LogStreams& operator=(const LogStreams&) = delete;

  // Answers `call` with the log of `run` from byte `offset`; with `follow`, the stream
  // stays open until the run ends, or 503 when the caller's listener already serves its
  // most followers. A run another daemon runs (or ran) is read from what that daemon
  // stored (docs/scale-out.md#logs-and-artifacts). The responses refer to this object: it
  // outlives them.
  void serve(const Call& call, httplib::Response& res, const store::Run& run, std::uint64_t offset, bool follow);

private:
  service::Service& service_;
  const std::string data_dir_;
  // Log streams being followed, per listener.
  std::atomic<int> followers_socket_{0};
  std::atomic<int> followers_tcp_{0};
};

}  // namespace dagctl::daemon::api
