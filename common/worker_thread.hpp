// One background thread that runs a task when woken or when the task asked to run again,
// and stops on request: the loop the dispatcher, the scheduler, the webhook sender and
// retention share. A failing task is retried with back-off and logged once per streak
// (common/backoff.hpp, common/failure_log.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/failure_log.hpp"
#include "common/time.hpp"

namespace dagctl::common {

class WorkerThread {
public:
  // One pass of the task. Returns when it wants to run again (wall clock: a fire time),
  // nullopt to wait for a wake. A wake before then runs it sooner.
  using Body = std::function<std::optional<Clock::time_point>()>;

  // `name` says what the task does in the failure log ("scheduler: handling due fire times").
  WorkerThread(std::string name, Body body, LogSink log);
  ~WorkerThread();  // stop()
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Starts the thread, which runs the body at once. Does nothing once started or stopped.
  void start();
  // Runs the body again soon. Never lost: a wake while the body runs makes it run once more.
  void wake();
  // Lets a pass in progress end, then ends the thread and joins it. Safe to call twice, from
  // several threads, before start(), and from the body (which then is not joined: its
  // own thread cannot join itself).
  void stop();
  // True once stop() was called: a long pass may check it and return early.
  bool stopping() const { return stopping_.load(); }

private:
  void loop();

  const std::string name_;
  const Body body_;
  const LogSink log_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool wake_pending_ = true;  // the first pass runs at start
  std::atomic<bool> stopping_{false};
  std::mutex join_mutex_;  // a second stop() returns only once the thread is joined
  std::thread thread_;
};

}  // namespace dagctl::common
