// What a dbt run can see of the daemon (docs/sandbox.md): the environment it gets (an
// allowlist) and, with bubblewrap, the files. The builders are pure and unit-tested;
// probe_sandbox runs bwrap once at start-up.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dagctl::daemon::runner {

enum class SandboxMode { automatic, on, off };

std::optional<SandboxMode> parse_sandbox_mode(std::string_view text);  // "auto", "on", "off"
std::string_view to_string(SandboxMode mode);

// What start-up found out; reported by GET /api/v1/daemon and `dagctl status`.
struct SandboxStatus {
  SandboxMode mode = SandboxMode::off;
  bool active = false;
  std::string detail;  // "bwrap 0.8.0", or why runs are not sandboxed
  std::string bwrap;   // the executable's absolute path, when active
};

// Finds bwrap in PATH and runs `bwrap ... true` with the options every run uses. Never
// throws; with mode off it does not look. `scratch_dir` takes a short-lived output file.
SandboxStatus probe_sandbox(SandboxMode mode, const std::string& scratch_dir);

// The variables the daemon must never hand to dbt, whatever --pass-env says.
bool is_daemon_secret(std::string_view name);

// Of the daemon's environment ("K=V" entries), what a run inherits: the allowlist (PATH,
// HOME, USER, LOGNAME, LANG, LC_*, TZ, TMPDIR, SSL_CERT_FILE, SSL_CERT_DIR,
// REQUESTS_CA_BUNDLE) and the names in `pass_env`. In a sandbox TMPDIR is its private /tmp.
std::map<std::string, std::string> inherited_environment(const std::vector<std::string>& daemon_env,
                                                          const std::vector<std::string>& pass_env,
                                                          bool sandboxed);

// One run's view of the file system. Paths are absolute and normalised (the executor
// resolves symlinks first, so that "inside" can be decided on the text).
struct SandboxSpec {
  std::string bwrap;
  std::string data_dir;     // hidden: the database, other runs, the daemon's files
  std::string socket_path;  // hidden: whoever reaches it owns the daemon
  std::string project_dir;  // writable, and the working directory
  std::string run_dir;      // writable: target/, logs/, output.log
  std::vector<std::string> writable;  // --sandbox-writable
  // Read-only paths dbt needs (its installation, the profiles folder, HOME): bound again
  // when they lie under /tmp, which the run gets empty, and kept visible when choosing how
  // to hide the socket.
  std::vector<std::string> needed;
  std::optional<std::string> state_dir;  // --defer's state: read-only
};

// bwrap's argv for `command`, ending "-- command...".
std::vector<std::string> bwrap_argv(const SandboxSpec& spec, const std::vector<std::string>& command);

// True when `path` is `dir` or lies below it (both normalised and absolute).
bool path_within(std::string_view path, std::string_view dir);

}  // namespace dagctl::daemon::runner
