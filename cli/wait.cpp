#include "cli/wait.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "cli/interrupt.hpp"
#include "cli/run_summary.hpp"
#include "cli/terminal.hpp"
#include "cli/watch_display.hpp"
#include "common/run_status.hpp"

namespace dagctl::cli {

namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kSignalWait{100};     // how often the loop redraws and looks around
constexpr milliseconds kPollInterval{1000};  // GET /runs/{id} for the status line

bool is_ended(const nlohmann::json& run) {
  const auto status = common::parse_run_status(run.value("status", ""));
  return !status || common::is_terminal(*status);
}

// The log stream on its own thread, which a Ctrl-C can end at once.
class LogFollower {
public:
  LogFollower(const Client& client, std::string path, std::function<void(std::string_view)> sink)
      : thread_([this, client, path = std::move(path), sink = std::move(sink)] {
          try {
            client.stream(path, sink, stop_);
          } catch (...) {
            error_ = std::current_exception();
          }
          done_ = true;
        }) {}
  ~LogFollower() { stop(); }
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  bool done() const { return done_; }
  // Ends the stream and the thread; idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    // Again until it took: a stop that came while the connection was being made is missed.
    while (!done_) {
      stop_.stop();
      std::this_thread::sleep_for(milliseconds(20));
    }
    thread_.join();
  }
  // After done(): the stream's failure (no daemon, an unknown run), if any.
  void rethrow() {
    stop();
    if (error_) std::rethrow_exception(error_);
  }

private:
  StreamStop stop_;
  std::atomic<bool> done_{false};
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once the members it uses exist
};

std::string stopped_message(OnInterrupt mode, const std::string& id) {
  switch (mode) {
    case OnInterrupt::cancel:
      return fmt::format("stopped waiting; run {} is still being cancelled (follow it with: dagctl watch {})", id, id);
    case OnInterrupt::detach:
      return fmt::format("stopped waiting; run {} goes on (follow it again with: dagctl watch {})", id, id);
    case OnInterrupt::stop_following:
      break;
  }
  return fmt::format("stopped following run {}; it goes on (dagctl cancel {} stops it)", id, id);
}

}  // namespace

std::optional<nlohmann::json> follow_run(const Context& ctx, const std::string& run_id, const FollowOptions& options) {
  SignalWatch signals;  // before any thread: they all inherit the blocked SIGINT and SIGWINCH
  const Client client = ctx.client();
  const std::string run_path = "/api/v1/runs/" + url_encode(run_id);
  nlohmann::json run = client.get(run_path);  // an unknown run fails here, before any display

  DisplayOptions display_options;
  display_options.print = options.print && !options.collect;
  display_options.terminal = is_terminal(STDOUT_FILENO);
  display_options.colour = use_colour(ctx.color, STDOUT_FILENO);
  display_options.whole_log = options.whole_log;
  display_options.columns = terminal_columns(STDOUT_FILENO);
  WatchDisplay display(display_options);
  display.set_run(run);
  display.tick();

  auto sink = [&](std::string_view chunk) {
    if (options.collect) options.collect(chunk);
    display.feed(chunk);
  };
  // The log stream ends when the run does; it is also how finished nodes arrive.
  LogFollower follower(client, run_path + "/logs?follow=true", sink);
  int interrupts = 0;
  auto next_poll = SteadyClock::now() + kPollInterval;
  for (;;) {
    switch (signals.next(kSignalWait)) {
      case SignalEvent::resize:
        display.resize(terminal_columns(STDOUT_FILENO));
        break;
      case SignalEvent::interrupt:
        ++interrupts;
        if (options.on_interrupt == OnInterrupt::cancel && interrupts == 1) {
          try {
            run = client.post(run_path + "/cancel");
            display.set_run(run);
            display.note(fmt::format("cancelling run {} — press Ctrl-C again to stop waiting", run_id));
          } catch (const CliError& e) {
            display.note(fmt::format("could not cancel run {}: {}", run_id, e.what()));
          }
          break;
        }
        follower.stop();
        display.finish();
        std::fflush(stdout);
        print_wrapped(stderr, stopped_message(options.on_interrupt, run_id));
        return std::nullopt;
      case SignalEvent::none:
        break;
    }
    if (follower.done()) {
      follower.rethrow();
      if (!options.until_ended) break;
      // The stream ends with the run, or early when the daemon stopped: then wait for the
      // status to be final anyway.
      run = client.get(run_path);
      if (is_ended(run)) break;
      display.set_run(run);
      next_poll = SteadyClock::now() + kPollInterval / 2;
    }
    if (SteadyClock::now() >= next_poll) {
      next_poll = SteadyClock::now() + kPollInterval;
      try {
        run = client.get(run_path);
        display.set_run(run);
      } catch (const CliError&) {
        if (follower.done()) throw;  // the stream's end reports a daemon that went away
      }
    }
    display.tick();
  }
  display.finish();
  return run;
}

int wait_for_run(const Context& ctx, const std::string& run_id, const WaitOptions& options) {
  FollowOptions follow;
  follow.print = !ctx.json() && !options.quiet;
  follow.on_interrupt = options.on_interrupt;
  const auto run = follow_run(ctx, run_id, follow);
  if (!run) return kExitInterrupted;
  const auto status = common::parse_run_status(run->value("status", "")).value_or(common::RunStatus::error);
  int code = common::exit_code_for(status);
  const bool nothing_selected = run->contains("nothing_selected") && (*run)["nothing_selected"] == true;
  if (code == 0 && nothing_selected && !options.allow_empty) code = 1;
  if (ctx.json()) {
    print_json(*run);
  } else if (!options.quiet || code != 0) {
    std::FILE* out = options.quiet ? stderr : stdout;
    const int fd = ::fileno(out);
    SummaryStyle style;
    style.columns = is_terminal(fd) ? terminal_columns(fd) : 0;
    style.colour = use_colour(ctx.color, fd);
    print_run_summary(ctx.client(), *run, out, style);
  }
  if (code == 1 && nothing_selected && status == common::RunStatus::success) {
    print_wrapped(stderr, fmt::format("dagctl: the selection matched nothing: run {} selected no node; pass "
                                      "--allow-empty to accept that",
                                      run_id));
  }
  return code;
}

}  // namespace dagctl::cli
