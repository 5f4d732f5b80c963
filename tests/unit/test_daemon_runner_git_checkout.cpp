// Tests for daemon/runner/git_checkout: what a project's git URL, ref and subfolder may be
// (docs/api.md#projects-from-git), the password kept out of answers, and a checkout of a
// real local repository (git is a build dependency: scripts/install-deps) — the ref's
// newest commit, a tag, a pinned commit, a subfolder, and a git that hangs.
#include "daemon/runner/git_checkout.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/runner/process.hpp"
#include "test_util.hpp"

namespace {

namespace git = dagctl::daemon::runner::git;
namespace runner = dagctl::daemon::runner;
namespace fs = std::filesystem;
using dagctl::test::TempDir;

TEST(GitChecks, AllowedUrlsPass) {
  for (const char* url : {"https://github.com/acme/shop.git", "http://git.local/shop", "ssh://git@host:22/acme/shop.git",
                          "git://host/shop.git", "file:///srv/git/shop.git", "git@github.com:acme/shop.git",
                          "host:shop.git", "HTTPS://host/x"}) {
    EXPECT_EQ(git::check_url(url), std::nullopt) << url;
  }
}

TEST(GitChecks, DangerousUrlsAreRefusedSayingWhy) {
  EXPECT_NE(git::check_url("ext::sh -c touch% /tmp/x"), std::nullopt);
  EXPECT_NE(git::check_url("EXT::ssh"), std::nullopt);
  EXPECT_NE(git::check_url("fd::3"), std::nullopt);
  EXPECT_NE(git::check_url("foo::https://host/x"), std::nullopt);
  EXPECT_NE(git::check_url("ftp://host/x.git"), std::nullopt);
  EXPECT_NE(git::check_url("javascript://x"), std::nullopt);
  EXPECT_NE(git::check_url("--upload-pack=touch /tmp/x"), std::nullopt);
  EXPECT_NE(git::check_url("-oProxyCommand=x:y"), std::nullopt);
  EXPECT_NE(git::check_url("/srv/git/shop.git"), std::nullopt);  // a bare path: give file://
  EXPECT_NE(git::check_url("https://host/x\ny"), std::nullopt);
  EXPECT_NE(git::check_url(std::string("https://host/x\0y", 16)), std::nullopt);
  EXPECT_NE(git::check_url("https://"), std::nullopt);
  EXPECT_NE(git::check_url(""), std::nullopt);
  EXPECT_NE(git::check_url("@:x"), std::nullopt);
  EXPECT_NE(git::check_url("git@-oProxy:x"), std::nullopt);
  const auto why = git::check_url("ext::sh");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("ext::"), std::string::npos) << *why;
}

TEST(GitChecks, RefsAndSubfoldersRefuseOptionsTraversalAndControlCharacters) {
  for (const char* ref : {"main", "v1.0", "release/2026", "0123456789abcdef0123456789abcdef01234567", "refs/heads/main",
                          "refs/tags/v1.0", "refs/heads/release/2026", "0123abc", "HEAD"}) {
    EXPECT_EQ(git::check_ref(ref), std::nullopt) << ref;
  }
  for (const char* ref : {"-x", "--upload-pack=x", "a..b", "a b", "a\tb", "main@{1}", "", "x/", "@", "main~1", "v1.0^{commit}",
                          "HEAD^", "main:x", "ma*n", "a[b", "a\\b", "refs/pull/1/head", "refs/remotes/origin/main",
                          "refs/heads/", ".x", "a/.b", "a//b", "main.lock", "refs/heads/-x"}) {
    EXPECT_NE(git::check_ref(ref), std::nullopt) << ref;
  }
  // A moving relative ref says what to give instead.
  const auto relative = git::check_ref("main~1");
  ASSERT_TRUE(relative);
  EXPECT_NE(relative->find("give a branch, a tag, refs/heads/BRANCH, refs/tags/TAG or a commit id"), std::string::npos)
      << *relative;
  EXPECT_NE(git::check_ref(std::string("a\0b", 3)), std::nullopt);
  EXPECT_EQ(git::check_subdir("projects/shop"), std::nullopt);
  for (const char* sub : {"/etc", "../x", "a/../../b", "-x", "a b", "a\nb"}) {
    EXPECT_NE(git::check_subdir(sub), std::nullopt) << sub;
  }
}

TEST(GitChecks, APasswordInTheUrlIsNeverShown) {
  EXPECT_EQ(git::redact_url("https://ann:s3cret@host/x.git"), "https://ann:***@host/x.git");
  EXPECT_EQ(git::redact_url("https://ann@host/x.git"), "https://ann@host/x.git");
  EXPECT_EQ(git::redact_url("https://host/a@b"), "https://host/a@b");
  EXPECT_EQ(git::redact_url("git@github.com:acme/shop.git"), "git@github.com:acme/shop.git");
  EXPECT_EQ(git::redact_url("https://tok:x-oauth@host/x"), "https://tok:***@host/x");
}

TEST(GitChecks, GitSeesOnlyWhatItNeedsAndNeverPrompts) {
  const auto env = git::git_environment({"PATH=/bin", "HOME=/home/ann", "SSH_AUTH_SOCK=/run/agent", "AWS_SECRET=x",
                                         "GIT_ASKPASS=/usr/bin/ksshaskpass"});
  const auto has = [&](const std::string& entry) { return std::find(env.begin(), env.end(), entry) != env.end(); };
  EXPECT_TRUE(has("PATH=/bin"));
  EXPECT_TRUE(has("HOME=/home/ann"));
  EXPECT_TRUE(has("SSH_AUTH_SOCK=/run/agent"));
  EXPECT_TRUE(has("GIT_TERMINAL_PROMPT=0"));
  EXPECT_TRUE(has("GIT_SSH_COMMAND=ssh -o BatchMode=yes"));
  EXPECT_TRUE(has("GIT_ASKPASS="));
  EXPECT_FALSE(has("AWS_SECRET=x"));
  const auto own = git::git_environment({"GIT_SSH_COMMAND=ssh -i /k"});
  EXPECT_NE(std::find(own.begin(), own.end(), "GIT_SSH_COMMAND=ssh -i /k"), own.end());
}

// A local repository with commits made through the real git (a test's own helper may use
// a shell; the code under test never does).
class GitRepo : public ::testing::Test {
protected:
  void git_in(const fs::path& dir, const std::string& args) {
    const std::string cmd = "cd '" + dir.string() + "' && git -c user.name=t -c user.email=t@x -c init.defaultBranch=main " +
                            args + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string head(const fs::path& dir) {
    const std::string out = dir_.file("head.txt");
    const std::string cmd = "git -C '" + dir.string() + "' rev-parse HEAD > '" + out + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(out);
    std::string sha;
    in >> sha;
    return sha;
  }
  void commit(const std::string& file, const std::string& text) {
    fs::create_directories((work_ / file).parent_path());
    std::ofstream(work_ / file) << text;
    git_in(work_, "add -A");
    git_in(work_, "commit -q -m change");
    git_in(work_, "push -q origin HEAD:main");
  }
  void SetUp() override {
    fs::create_directories(bare_);
    git_in(bare_, "init -q --bare -b main");
    fs::create_directories(work_);
    git_in(work_, "init -q -b main");
    git_in(work_, "remote add origin '" + bare_.string() + "'");
  }
  git::CheckoutOptions options() const {
    git::CheckoutOptions o;
    o.timeout = std::chrono::seconds(30);
    o.daemon_env = {"PATH=/usr/bin:/bin", "HOME=" + dir_.path().string()};
    return o;
  }
  // A sync of `ref` (and `subdir`) fails, saying `part`.
  testing::AssertionResult sync_fails_saying(const std::string& part, const std::string& ref,
                                             const std::string& subdir = "") const {
    const auto got = git::sync({checkout_, url_, ref, std::nullopt, subdir}, options());
    if (got) return testing::AssertionFailure() << ref << " synced to " << got->commit;
    if (got.error().find(part) == std::string::npos) return testing::AssertionFailure() << got.error();
    return testing::AssertionSuccess();
  }

  TempDir dir_;
  fs::path bare_ = dir_.path() / "origin.git";
  fs::path work_ = dir_.path() / "work";
  std::string url_ = "file://" + bare_.string();
  std::string checkout_ = dir_.file("checkout");
};

TEST_F(GitRepo, ACheckoutFollowsTheHeadBranchAndIsClean) {
  commit("shop/dbt_project.yml", "name: shop\n");
  const std::string first = head(work_);
  auto got = git::sync({checkout_, url_, "", std::nullopt, "shop"}, options());
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->commit, first);
  EXPECT_TRUE(fs::exists(fs::path(got->project_dir) / "dbt_project.yml"));
  std::ofstream(fs::path(checkout_) / "shop" / "left-over.txt") << "x";  // a run's leftovers

  commit("shop/models/a.sql", "select 1\n");
  const std::string second = head(work_);
  got = git::sync({checkout_, url_, "", std::nullopt, "shop"}, options());
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->commit, second);
  EXPECT_TRUE(fs::exists(fs::path(checkout_) / "shop/models/a.sql"));
  EXPECT_FALSE(fs::exists(fs::path(checkout_) / "shop/left-over.txt"));
}

TEST_F(GitRepo, ATagOrAPinnedCommitKeepsItsCommit) {
  commit("dbt_project.yml", "name: shop\n");
  const std::string first = head(work_);
  git_in(work_, "tag v1");
  git_in(work_, "push -q origin v1");
  commit("models/a.sql", "select 1\n");

  auto tagged = git::sync({checkout_, url_, "v1", std::nullopt, ""}, options());
  ASSERT_TRUE(tagged) << tagged.error();
  EXPECT_EQ(tagged->commit, first);
  EXPECT_FALSE(fs::exists(fs::path(checkout_) / "models/a.sql"));

  auto pinned = git::sync({checkout_, url_, "main", first, ""}, options());  // a retry's
  ASSERT_TRUE(pinned) << pinned.error();
  EXPECT_EQ(pinned->commit, first);

  auto by_sha = git::sync({checkout_, url_, first, std::nullopt, ""}, options());
  ASSERT_TRUE(by_sha) << by_sha.error();
  EXPECT_EQ(by_sha->commit, first);
}

TEST_F(GitRepo, FullRefNamesAndAbbreviatedCommitIdsResolve) {
  commit("dbt_project.yml", "name: shop\n");
  const std::string first = head(work_);
  git_in(work_, "tag -a -m one dup");  // an annotated tag and a branch with one name
  git_in(work_, "push -q origin dup");
  commit("models/a.sql", "select 1\n");
  const std::string second = head(work_);
  git_in(work_, "push -q origin HEAD:refs/heads/dup");

  const auto commit_of = [&](const std::string& ref) {
    auto got = git::sync({checkout_, url_, ref, std::nullopt, ""}, options());
    EXPECT_TRUE(got) << ref << ": " << got.error();
    return got ? got->commit : std::string();
  };
  EXPECT_EQ(commit_of("refs/heads/main"), second);
  EXPECT_EQ(commit_of("refs/tags/dup"), first);
  EXPECT_EQ(commit_of("refs/heads/dup"), second);
  EXPECT_EQ(commit_of("dup"), second);  // a bare name is the branch first
  EXPECT_EQ(commit_of(first.substr(0, 10)), first);
  EXPECT_EQ(commit_of(first), first);

  // Never this checkout's own refs: HEAD is whatever the last sync checked out.
  EXPECT_TRUE(sync_fails_saying("no branch, tag or commit HEAD", "HEAD"));
  EXPECT_TRUE(sync_fails_saying("no branch, tag or commit refs/heads/nope", "refs/heads/nope"));
}

TEST_F(GitRepo, AnUnknownRefOrFolderOrRepositorySaysSo) {
  commit("dbt_project.yml", "name: shop\n");
  EXPECT_TRUE(sync_fails_saying("no branch, tag or commit nope", "nope"));
  EXPECT_TRUE(sync_fails_saying("has no folder missing", "", "missing"));
  auto repo = git::sync({dir_.file("other"), "file://" + dir_.file("no-such.git"), "", std::nullopt, ""}, options());
  ASSERT_FALSE(repo);
  EXPECT_NE(repo.error().find("git fetch failed"), std::string::npos) << repo.error();
}

TEST_F(GitRepo, ASymlinkedSubfolderCannotLeaveTheCheckout) {
  commit("dbt_project.yml", "name: shop\n");
  fs::create_directory_symlink("/etc", work_ / "out");
  git_in(work_, "add -A");
  git_in(work_, "commit -q -m link");
  git_in(work_, "push -q origin HEAD:main");
  auto got = git::sync({checkout_, url_, "", std::nullopt, "out"}, options());
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().find("has no folder out"), std::string::npos) << got.error();
}

TEST_F(GitRepo, AGitThatHangsIsStoppedAfterTheTimeout) {
  const std::string fake = dir_.file("fake-git");
  std::ofstream(fake) << "#!/bin/sh\nexec sleep 30\n";
  ::chmod(fake.c_str(), 0755);
  auto o = options();
  o.git = fake;
  o.timeout = std::chrono::milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  auto got = git::sync({checkout_, url_, "", std::nullopt, ""}, o);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().find("did not finish within"), std::string::npos) << got.error();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(GitRepo, GitsMessageNeverShowsThePassword) {
  auto got = git::sync({checkout_, "http://ann:s3cret@127.0.0.1:1/x.git", "", std::nullopt, ""}, options());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().find("s3cret"), std::string::npos) << got.error();
}

}  // namespace
