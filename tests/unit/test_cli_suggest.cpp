// Tests for cli/suggest: "did you mean" for mistyped commands (docs/cli.md).
#include "cli/suggest.hpp"

#include <gtest/gtest.h>

namespace {

using dagctl::cli::did_you_mean;
using dagctl::cli::edit_distance;

const std::vector<std::string> kTop = {"status", "org",   "daemon", "project", "job",     "trigger",
                                       "retry",  "runs",  "run",    "logs",    "cancel",  "token", "webhook"};

TEST(Suggest, EditDistanceCountsASwapAsOne) {
  EXPECT_EQ(edit_distance("show", "show"), 0u);
  EXPECT_EQ(edit_distance("shwo", "show"), 1u);
  EXPECT_EQ(edit_distance("trgger", "trigger"), 1u);
  EXPECT_EQ(edit_distance("", "run"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Suggest, NamesTheNearestCommand) {
  EXPECT_EQ(did_you_mean("trgger", kTop), "trigger");
  EXPECT_EQ(did_you_mean("tirgger", kTop), "trigger");
  EXPECT_EQ(did_you_mean("cancle", kTop), "cancel");
  EXPECT_EQ(did_you_mean("webhooks", kTop), "webhook");
  EXPECT_EQ(did_you_mean("shwo", {"show"}), "show");
  EXPECT_EQ(did_you_mean("lsit", {"list", "show", "create", "update", "delete"}), "list");
  EXPECT_EQ(did_you_mean("--limt", {"--limit", "--job", "--since"}), "--limit");
}

TEST(Suggest, SaysNothingWhenNothingIsCloseOrTwoAreEquallyClose) {
  EXPECT_FALSE(did_you_mean("deploy", kTop).has_value());
  EXPECT_FALSE(did_you_mean("xyz", kTop).has_value());
  EXPECT_FALSE(did_you_mean("", kTop).has_value());
  // "rnu" is one swap from "run" and two edits from "runs": the nearer one wins.
  EXPECT_EQ(did_you_mean("rnu", kTop), "run");
  // "ru" is one edit from "run" only ("runs" is two).
  EXPECT_EQ(did_you_mean("ru", kTop), "run");
}

TEST(Suggest, AUniquePrefixIsAGuessToo) {
  EXPECT_EQ(did_you_mean("webh", kTop), "webhook");
  EXPECT_EQ(did_you_mean("proj", kTop), "project");
  EXPECT_FALSE(did_you_mean("r", kTop).has_value());  // retry, runs, run
}

}  // namespace
