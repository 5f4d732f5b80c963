// Tests for daemon/api/artifacts: listing the top of a run's target folder (GET
// /api/v1/runs/{run_id}/artifacts, docs/api.md, Artifacts) without following symlinks.
#include "daemon/api/artifacts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/data_dir.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace api = dagctl::daemon::api;

std::vector<std::string> names(const std::vector<api::ArtifactEntry>& list) {
  std::vector<std::string> out;
  for (const auto& a : list) out.push_back(a.name);
  return out;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(DaemonApiArtifacts, ListsTheRegularFilesAtTheTopByName) {
  dagctl::test::TempDir dir;
  const fs::path target = dagctl::common::DataDir(dir.path().string()).run_target("run-1");
  fs::create_directories(target / "compiled" / "shop");
  write(target / "run_results.json", "{}");
  write(target / "manifest.json", std::string(12345, 'x'));
  write(target / "compiled" / "shop" / "x.sql", "select 1");
  write(dir.path() / "secret.txt", "outside");
  fs::create_symlink(dir.path() / "secret.txt", target / "link.json");      // a symlink out
  fs::create_symlink(target / "manifest.json", target / "inside-link.json");  // even one inside
  const auto list = api::list_artifacts(dir.path().string(), "run-1");
  ASSERT_EQ(names(list), (std::vector<std::string>{"manifest.json", "run_results.json"}));
  EXPECT_EQ(list[0].size, 12345u);
  EXPECT_EQ(list[1].size, 2u);
  const auto age = dagctl::common::now() - list[0].modified_at;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));
}

TEST(DaemonApiArtifacts, AFolderThatIsGoneEmptyOrASymlinkListsNothing) {
  dagctl::test::TempDir dir;
  const dagctl::common::DataDir data(dir.path().string());
  EXPECT_TRUE(api::list_artifacts(dir.path().string(), "run-gone").empty());
  fs::create_directories(data.run_target("run-empty"));
  EXPECT_TRUE(api::list_artifacts(dir.path().string(), "run-empty").empty());
  fs::create_directories(dir.path() / "elsewhere");
  write(dir.path() / "elsewhere" / "manifest.json", "{}");
  fs::create_directories(data.run("run-link"));
  fs::create_directory_symlink(dir.path() / "elsewhere", data.run_target("run-link"));
  EXPECT_TRUE(api::list_artifacts(dir.path().string(), "run-link").empty());
}

}  // namespace
