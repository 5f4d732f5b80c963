#include "daemon/runner/git_checkout.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "common/defer.hpp"
#include "daemon/runner/process.hpp"

namespace dagctl::daemon::runner::git {

namespace fs = std::filesystem;

namespace {

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Characters git, a shell or a log would read as something else.
std::optional<std::string> check_word(std::string_view field, std::string_view value) {
  if (value.empty()) return std::string(field) + " is empty";
  if (value.size() > 1024) return std::string(field) + " is longer than 1024 bytes";
  if (value.front() == '-') return std::string(field) + " starts with '-' (git would read it as an option)";
  if (value.find("..") != std::string_view::npos) return std::string(field) + " contains '..'";
  for (const char c : value) {
    if (c == '\0') return std::string(field) + " contains a NUL byte";
    if (is_control(c)) return std::string(field) + " contains a control character";
    if (c == ' ') return std::string(field) + " contains a space";
  }
  return std::nullopt;
}

// Only one sync of a checkout at a time in this process (a run and a project check).
std::mutex& lock_of(const std::string& dir) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> guard(registry_mutex);
  auto& slot = locks[dir];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

std::string read_file(const std::string& path, std::size_t cap) {
  std::ifstream in(path, std::ios::binary);
  std::string out(cap, '\0');
  in.read(out.data(), static_cast<std::streamsize>(cap));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The last lines of git's output, for an error message (git says what went wrong last).
std::string tail_message(const std::string& output) {
  std::string text = trim(output);
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    else if (is_control(c)) c = '?';
  }
  if (text.size() > 500) text = "..." + text.substr(text.size() - 500);
  return text;
}

class Git {
public:
  Git(const CheckoutOptions& options, std::string output_path, std::string url)
      : options_(options), env_(git_environment(options.daemon_env)), output_path_(std::move(output_path)),
        url_(std::move(url)) {}
  ~Git() { ::unlink(output_path_.c_str()); }

  // Runs `git -c protocol.ext.allow=never ARGS` in `cwd`; its output (stdout and stderr
  // together), or why it failed.
  common::Result<std::string> run(const std::vector<std::string>& args, const std::string& cwd,
                                  const std::string& what) {
    if (const common::Fd truncate(::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)); !truncate) {
      return common::make_error("could not write " + output_path_ + ": " + std::strerror(errno));
    }
    SpawnSpec spec;
    spec.argv = {options_.git, "-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never",
                 "-c", "core.hooksPath=/dev/null", "-c", "credential.interactive=never"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = env_;
    spec.cwd = cwd;
    spec.output_path = output_path_;
    auto spawned = ChildProcess::spawn(spec);
    if (!spawned) return common::make_error("could not start git (" + options_.git + "): " + spawned.error());
    ChildProcess child = std::move(spawned).value();
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    std::optional<std::string> killed;
    std::optional<ExitStatus> exit;
    while (!(exit = child.try_reap())) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (!killed && left.count() <= 0) {
        const auto ms = options_.timeout.count();
        killed = "git " + what + " did not finish within " +
                 (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
        child.signal_group(SIGKILL);
      }
      pollfd fds[2] = {{child.pidfd(), POLLIN, 0}, {options_.stop_fd, POLLIN, 0}};
      const nfds_t count = options_.stop_fd >= 0 && !killed ? 2 : 1;
      ::poll(fds, count, killed ? 100 : static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000)) + 1);
      if (count == 2 && (fds[1].revents & POLLIN) && !killed) {
        killed = "stopped during git " + what;
        child.signal_group(SIGKILL);
      }
    }
    std::string output = read_file(output_path_, 256 * 1024);
    if (killed) return common::make_error(*killed + redacted_tail(output));
    if (exit->exit_code != 0) {
      return common::make_error("git " + what + " failed" + redacted_tail(output));
    }
    return output;
  }

private:
  // git prints the URL as given (with a password, if it holds one): never shown.
  std::string redacted_tail(const std::string& output) const {
    std::string text = tail_message(output);
    const std::string safe = redact_url(url_);
    if (safe != url_) {
      for (std::size_t at = 0; (at = text.find(url_, at)) != std::string::npos; at += safe.size()) {
        text.replace(at, url_.size(), safe);
      }
    }
    return text.empty() ? "" : ": " + text;
  }

  const CheckoutOptions& options_;
  std::vector<std::string> env_;
  std::string output_path_;
  std::string url_;
};

// The commit `name` names in the checkout, or nullopt.
std::optional<std::string> resolve(Git& git, const std::string& dir, const std::string& name) {
  auto out = git.run({"rev-parse", "--verify", "--quiet", "--end-of-options", name + "^{commit}"}, dir, "rev-parse");
  if (!out) return std::nullopt;
  std::string sha = trim(*out);
  return is_full_sha(sha) ? std::optional<std::string>(sha) : std::nullopt;
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Where a checked ref (check_ref) may be in the checkout, first match wins: fetch keeps
// the remote's branches under refs/remotes/origin/ and its tags under refs/tags/. A bare
// name is a branch, else a tag, else (hex, 7 to 40 digits, git's shortest default) a commit id; never git's own
// guess, which would also find this checkout's HEAD and FETCH_HEAD.
std::vector<std::string> ref_candidates(const std::string& ref) {
  if (starts_with(ref, "refs/heads/")) return {"refs/remotes/origin/" + ref.substr(11)};
  if (starts_with(ref, "refs/tags/")) return {ref};
  std::vector<std::string> out = {"refs/remotes/origin/" + ref, "refs/tags/" + ref};
  if (ref.size() >= 7 && ref.size() <= 40 && is_hex(ref)) out.push_back(ref);
  return out;
}

bool has_commit(Git& git, const std::string& dir, const std::string& sha) {
  return git.run({"cat-file", "-e", "--end-of-options", sha + "^{commit}"}, dir, "cat-file").ok();
}

// Every branch and tag of the remote, and its HEAD (the default branch) as refs/dagctl/head.
common::Result<void> fetch(Git& git, const std::string& dir, const std::string& url) {
  auto out = git.run({"fetch", "--quiet", "--prune", "--no-recurse-submodules", "--", url,
                      "+HEAD:refs/dagctl/head", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
                     dir, "fetch");
  if (!out) return common::make_error(out.error());
  return {};
}

}  // namespace

bool is_full_sha(std::string_view text) {
  return text.size() == 40 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<std::string> check_url(std::string_view url) {
  if (url.empty()) return "git_url is empty";
  if (url.size() > 2048) return "git_url is longer than 2048 bytes";
  for (const char c : url) {
    if (c == '\0' || is_control(c)) return "git_url contains a control character";
    if (c == ' ') return "git_url contains a space";
  }
  if (url.front() == '-') return "git_url starts with '-' (git would read it as an option)";
  const std::string low = lower(url);
  if (starts_with(low, "ext::") || starts_with(low, "fd::")) {
    return "git_url uses git's ext:: or fd:: transport, which runs commands; use an https, ssh, git or file URL";
  }
  if (const auto scheme_end = low.find("://"); scheme_end != std::string::npos) {
    const std::string scheme = low.substr(0, scheme_end);
    static const std::set<std::string> allowed = {"https", "http", "ssh", "git", "file"};
    if (!allowed.count(scheme)) {
      return "git_url's scheme '" + scheme + "' is not allowed; use https, http, ssh, git or file";
    }
    if (url.size() == scheme_end + 3) return "git_url has nothing after " + scheme + "://";
    return std::nullopt;
  }
  // `foo::address` asks git for the remote helper git-remote-foo.
  if (low.find("::") != std::string::npos) return "git_url names a remote helper (TRANSPORT::ADDRESS); use an https, ssh, git or file URL";
  // scp-like: [user@]host:path, with no '/' before the ':'.
  const auto colon = url.find(':');
  const auto slash = url.find('/');
  if (colon != std::string_view::npos && colon > 0 && (slash == std::string_view::npos || slash > colon) &&
      colon + 1 < url.size()) {
    const std::string_view host = url.substr(0, colon);
    const std::string_view after_user = host.substr(host.find('@') == std::string_view::npos ? 0 : host.find('@') + 1);
    if (after_user.empty() || after_user.front() == '-') return "git_url's host is empty or starts with '-'";
    return std::nullopt;
  }
  return "git_url " + std::string(url.size() > 200 ? url.substr(0, 200) : url) +
         " is not a git URL; use https://, http://, ssh://, git://, file:// or user@host:path";
}

std::optional<std::string> check_ref(std::string_view ref) {
  if (auto why = check_word("git_ref", ref)) return why;
  const std::string shown(ref);
  const std::string use = "; give a branch, a tag, refs/heads/BRANCH, refs/tags/TAG or a commit id";
  if (ref.find("@{") != std::string_view::npos || ref == "@") {
    return "git_ref " + shown + " uses git's @ notation (reflog, upstream), which names another commit on each daemon" + use;
  }
  if (ref.find_first_of("~^") != std::string_view::npos) {
    return "git_ref " + shown + " is relative to another ref (~ or ^): the commit it names moves" + use;
  }
  if (ref.find_first_of(":?*[\\") != std::string_view::npos) {
    return "git_ref " + shown + " contains one of : ? * [ \\, which no branch or tag name holds" + use;
  }
  if (starts_with(ref, "refs/") && !starts_with(ref, "refs/heads/") && !starts_with(ref, "refs/tags/")) {
    return "git_ref " + shown + " is neither under refs/heads/ nor refs/tags/ (other refs are not fetched)" + use;
  }
  if (ref.front() == '.' || ref.back() == '/' || ref.back() == '.' || ref.find("//") != std::string_view::npos ||
      ref.find("/.") != std::string_view::npos || ref.find("/-") != std::string_view::npos || ref.ends_with(".lock")) {
    return "git_ref " + shown + " is not a branch, tag or commit name" + use;
  }
  return std::nullopt;
}

std::optional<std::string> check_subdir(std::string_view subdir) {
  if (auto why = check_word("git_subdir", subdir)) return why;
  if (subdir.front() == '/') return "git_subdir must be a folder inside the repository, not an absolute path";
  return std::nullopt;
}

std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto at = url.find('@', start);
  const auto slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return std::string(url);
  const auto colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);  // user@ only: no secret
  return std::string(url.substr(0, colon)) + ":***" + std::string(url.substr(at));
}

std::vector<std::string> git_environment(const std::vector<std::string>& daemon_env) {
  static const std::set<std::string> passed = {"PATH", "HOME", "USER", "LOGNAME", "SSH_AUTH_SOCK", "GIT_SSH_COMMAND",
                                               "GIT_SSH", "XDG_CONFIG_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR",
                                               "GIT_SSL_CAINFO", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                                               "http_proxy", "NO_PROXY", "no_proxy"};
  std::vector<std::string> env;
  bool has_ssh_command = false;
  bool has_path = false;
  for (const auto& entry : daemon_env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    if (!passed.count(name)) continue;
    env.push_back(entry);
    has_ssh_command |= name == "GIT_SSH_COMMAND" || name == "GIT_SSH";
    has_path |= name == "PATH";
  }
  if (!has_path) env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  // ssh asks on the terminal (a passphrase, an unknown host key); a daemon never answers.
  if (!has_ssh_command) env.push_back("GIT_SSH_COMMAND=ssh -o BatchMode=yes");
  env.push_back("GIT_TERMINAL_PROMPT=0");
  env.push_back("GIT_ASKPASS=");
  env.push_back("SSH_ASKPASS=");
  env.push_back("LC_ALL=C");
  return env;
}

common::Result<Checkout> sync(const CheckoutSpec& spec, const CheckoutOptions& options) {
  if (auto why = check_url(spec.url)) return common::make_error(*why);
  if (!spec.ref.empty()) {
    if (auto why = check_ref(spec.ref)) return common::make_error(*why);
  }
  if (!spec.subdir.empty()) {
    if (auto why = check_subdir(spec.subdir)) return common::make_error(*why);
  }
  if (spec.commit && !is_full_sha(*spec.commit)) return common::make_error("the commit to check out is not a full id");

  std::lock_guard<std::mutex> guard(lock_of(spec.dir));
  std::error_code ec;
  fs::create_directories(spec.dir, ec);
  if (ec) return common::make_error("could not create the checkout " + spec.dir + ": " + ec.message());
  Git git(options, spec.dir + ".git-output", spec.url);
  if (!fs::exists(fs::path(spec.dir) / ".git", ec)) {
    // A folder left half made (a clone that timed out) is made again.
    for (const auto& entry : fs::directory_iterator(spec.dir, ec)) fs::remove_all(entry.path(), ec);
    if (auto made = git.run({"init", "--quiet"}, spec.dir, "init"); !made) {
      return common::make_error(made.error());
    }
  }

  std::string commit;
  if (spec.commit) {
    // A retry runs its source's commit: fetched only when this checkout lacks it.
    if (!has_commit(git, spec.dir, *spec.commit)) {
      if (auto fetched = fetch(git, spec.dir, spec.url); !fetched) return common::make_error(fetched.error());
      if (!has_commit(git, spec.dir, *spec.commit)) {
        return common::make_error("commit " + *spec.commit + " is no longer in " + redact_url(spec.url));
      }
    }
    commit = *spec.commit;
  } else if (is_full_sha(spec.ref) && has_commit(git, spec.dir, spec.ref)) {
    commit = spec.ref;  // a commit never changes: no fetch needed
  } else {
    if (auto fetched = fetch(git, spec.dir, spec.url); !fetched) return common::make_error(fetched.error());
    std::optional<std::string> found;
    if (spec.ref.empty()) {
      found = resolve(git, spec.dir, "refs/dagctl/head");
    } else {
      for (const std::string& name : ref_candidates(spec.ref)) {
        if ((found = resolve(git, spec.dir, name))) break;
      }
    }
    if (!found) {
      return common::make_error(spec.ref.empty()
                                    ? "the repository " + redact_url(spec.url) + " has no HEAD branch; give --ref"
                                    : "the repository " + redact_url(spec.url) + " has no branch, tag or commit " +
                                          spec.ref);
    }
    commit = *found;
  }
  // The commit is our own 40 hex digits: never read as an option.
  if (auto out = git.run({"checkout", "--quiet", "--force", "--detach", commit}, spec.dir, "checkout"); !out) {
    return common::make_error(out.error());
  }
  if (auto out = git.run({"clean", "-ffdxq"}, spec.dir, "clean"); !out) return common::make_error(out.error());

  Checkout result{commit, spec.dir};
  if (!spec.subdir.empty()) {
    const fs::path root = fs::canonical(spec.dir, ec);
    const fs::path inside = fs::canonical(fs::path(spec.dir) / spec.subdir, ec);
    const auto rel = ec ? fs::path() : inside.lexically_relative(root);
    if (ec || !fs::is_directory(inside) || rel.empty() || starts_with(rel.string(), "..")) {
      return common::make_error("commit " + commit.substr(0, 12) + " has no folder " + spec.subdir);
    }
    result.project_dir = inside.string();
  }
  return result;
}

}  // namespace dagctl::daemon::runner::git
