// bench_fake_dbt: the stand-in dbt of the benchmarks. The daemon spawns it exactly as it
// spawns dbt (argv, own process group, the run's folder and environment); it does no work.
//
// The first thing main() does is read CLOCK_REALTIME. When $BENCH_FIFO names a FIFO that
// someone holds open for reading, it writes one line there at start and one right before
// it exits (each line is shorter than PIPE_BUF, so concurrent writers never interleave):
//   start <DAGCTL_RUN_ID> <epoch ns>
//   end <DAGCTL_RUN_ID> <epoch ns>
// The measuring client reads them: "start" closes the trigger → dbt-started interval,
// "end" opens the dbt-exited → webhook-received one. Without $BENCH_FIFO (or with nobody
// reading) it just exits 0. Plain libc only: no static constructors, no iostreams.
//
// Wrapper mode, for the real-dbt row: with $BENCH_WRAP_EXEC set to the real dbt, it spawns
// that with the same arguments (same process group, environment, folder and output), waits
// for it, and appends "start <run> <ns>" / "end <run> <ns>" around it to the file
// $BENCH_TIMES. So dbt's own lifetime is known, under the daemon and when run directly
// alike, at the cost of one extra posix_spawn (~0.5 ms).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

extern char** environ;

namespace {

long long realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void report(int fd, const char* what, const char* run, long long ns) {
  if (fd < 0) return;
  char line[256];
  const int n = std::snprintf(line, sizeof line, "%s %s %lld\n", what, run, ns);
  if (n > 0 && n < static_cast<int>(sizeof line)) {
    [[maybe_unused]] const ssize_t w = ::write(fd, line, static_cast<size_t>(n));
  }
}

[[noreturn]] void wrap(const char* exe, const char* run, long long started, char** argv) {
  const char* times = std::getenv("BENCH_TIMES");
  const int fd = times != nullptr ? ::open(times, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
  report(fd, "start", run, started);
  argv[0] = const_cast<char*>(exe);
  pid_t pid = -1;
  if (const int rc = ::posix_spawn(&pid, exe, nullptr, nullptr, argv, environ); rc != 0) {
    std::fprintf(stderr, "bench_fake_dbt: cannot start %s (error %d)\n", exe, rc);
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  report(fd, "end", run, realtime_ns());
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

}  // namespace

int main(int argc, char** argv) {
  const long long started = realtime_ns();
  const char* run = std::getenv("DAGCTL_RUN_ID");
  if (run == nullptr) run = "-";
  if (const char* exe = std::getenv("BENCH_WRAP_EXEC")) wrap(exe, run, started, argv);
  const char* fifo = std::getenv("BENCH_FIFO");
  // O_NONBLOCK: with no reader the open fails at once (ENXIO) instead of hanging the run.
  const int fd = fifo != nullptr ? ::open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC) : -1;
  report(fd, "start", run, started);

  // One line in the run's log, like dbt's first line.
  char line[128];
  const int n = std::snprintf(line, sizeof line, "bench_fake_dbt: %d args, run %s\n", argc - 1, run);
  if (n > 0) {
    [[maybe_unused]] const ssize_t w = ::write(1, line, static_cast<size_t>(n));
  }
  (void)argv;

  report(fd, "end", run, realtime_ns());
  _exit(0);
}
