// RunExecutor: carries one run from "started" to its Outcome. An interface so the
// dispatcher's queueing can be unit-tested with a fake; DbtExecutor is the real one.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "common/fd.hpp"
#include "daemon/runner/outcome.hpp"
#include "daemon/runner/progress.hpp"
#include "daemon/store/models.hpp"

namespace dagctl::daemon::runner {

// Lets another thread stop a run. The first reason wins; the executor waits on fd().
class RunControl {
public:
  RunControl();
  void request_stop(StopReason reason);
  StopReason reason() const { return reason_.load(); }
  int fd() const { return event_.get(); }

private:
  std::atomic<StopReason> reason_{StopReason::none};
  common::Fd event_;  // an eventfd, readable once a stop was requested
};

struct RunContext {
  store::Run run;
  store::Project project;
  store::Job job;
};

struct RunCallbacks {
  std::function<void(int pid, std::int64_t start_ticks)> on_started;
  std::function<void(Progress)> on_progress;
};

class RunExecutor {
public:
  virtual ~RunExecutor() = default;
  virtual Outcome execute(const RunContext& context, RunControl& control,
                          const RunCallbacks& callbacks) = 0;
};

struct DbtExecutorOptions {
  std::string data_dir;
  std::string default_dbt = "dbt";
  // After SIGINT, how long dbt gets to cancel its queries before SIGTERM; SIGKILL follows
  // after the same time again.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
};

class DbtExecutor : public RunExecutor {
public:
  explicit DbtExecutor(DbtExecutorOptions options) : options_(std::move(options)) {}
  Outcome execute(const RunContext& context, RunControl& control,
                  const RunCallbacks& callbacks) override;

private:
  DbtExecutorOptions options_;
};

// Layout of a run's folder under the data dir (CONTRACT §6.4).
std::string run_dir(const std::string& data_dir, const std::string& run_id);
std::string run_log_path(const std::string& data_dir, const std::string& run_id);
std::string run_target_dir(const std::string& data_dir, const std::string& run_id);

}  // namespace dagctl::daemon::runner
