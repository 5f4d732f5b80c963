// Projects from git (docs/api.md#projects-from-git): the checks of a repository's URL, ref
// and subfolder as a request gives them (pure), and one daemon's checkout of a project:
// fetched, the ref resolved to a commit, that commit checked out detached and clean. git
// runs through ChildProcess (posix_spawn, never a shell) with a bounded time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dagctl::daemon::runner::git {

// Why a value is refused (a sentence for a 400), or nullopt when it is fine.
// URLs: https, http, ssh, git and file URLs and scp-like `[user@]host:path`; never a
// transport helper (`ext::`, `fd::`, `foo::url`), an option (`-...`) or a control character.
std::optional<std::string> check_url(std::string_view url);
// A branch, a tag, refs/heads/BRANCH, refs/tags/TAG or a commit id, full or abbreviated
// (docs/api.md#projects-from-git): no leading '-', no "..", no NUL, control character or
// space, nothing git reads as a relative or reflog ref (~ ^ @{ :), no other refs/.
std::optional<std::string> check_ref(std::string_view ref);
// A folder inside the repository: relative, no "..", and the same characters as a ref.
std::optional<std::string> check_subdir(std::string_view subdir);
// The URL with any `user:password@` part shown as `user:***@` (answers and logs).
std::string redact_url(std::string_view url);
// Whether text is a full commit id (40 hex digits).
bool is_full_sha(std::string_view text);

struct CheckoutOptions {
  std::string git = "git";  // looked up in PATH
  // Each git command's bound: a fetch that hangs ends the run `error` after it.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  // The daemon's environment ("K=V"); git gets only what it needs of it (git_environment).
  std::vector<std::string> daemon_env;
  // Readable when the caller wants to stop (a run's cancel); -1: none.
  int stop_fd = -1;
};

struct CheckoutSpec {
  std::string dir;  // the checkout (created by the first sync)
  std::string url;
  std::string ref;                    // empty: the remote's HEAD branch
  std::optional<std::string> commit;  // set: exactly this commit (a retry's), not the ref's newest
  std::string subdir;
};

struct Checkout {
  std::string commit;       // 40 hex digits
  std::string project_dir;  // dir/subdir, checked to be a folder inside dir
};

// What git sees of the daemon's environment: PATH, HOME, the user's SSH agent and git
// config, GIT_SSH_COMMAND (else ssh in batch mode), GIT_TERMINAL_PROMPT=0, LC_ALL=C.
std::vector<std::string> git_environment(const std::vector<std::string>& daemon_env);

// Fetches (cloning into an empty dir first), resolves, checks out and cleans. At most one
// sync of a dir at a time in this process. The error names git's own message.
common::Result<Checkout> sync(const CheckoutSpec& spec, const CheckoutOptions& options);

}  // namespace dagctl::daemon::runner::git
