// Tests for daemon/metrics/exposition: the Prometheus text format's escaping of label values
// and HELP text, how numbers are written, and the names it refuses (docs/metrics.md).
#include "daemon/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace {

using namespace dagctl::daemon::metrics;

TEST(MetricsExposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("shop"), "shop");
  EXPECT_EQ(escape_label_value(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(escape_label_value(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(escape_label_value("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(escape_label_value("tab\tand é stay"), "tab\tand é stay");
}

TEST(MetricsExposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("a \"quoted\" word\\\nnext"), "a \"quoted\" word\\\\\\nnext");
}

TEST(MetricsExposition, NumbersAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1775131200.5), "1775131200.5");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(MetricsExposition, WritesHelpTypeAndSamples) {
  TextWriter out;
  out.family("dagctl_runs_queued", "Runs waiting.\nPer project.", Type::gauge);
  out.sample("dagctl_runs_queued", {{"project", "shop \"main\""}}, 2);
  out.sample("dagctl_runs_queued", {}, 0);
  EXPECT_EQ(out.text(),
            "# HELP dagctl_runs_queued Runs waiting.\\nPer project.\n"
            "# TYPE dagctl_runs_queued gauge\n"
            "dagctl_runs_queued{project=\"shop \\\"main\\\"\"} 2\n"
            "dagctl_runs_queued 0\n");
}

TEST(MetricsExposition, RefusesBadNamesAndAFamilyTwice) {
  EXPECT_TRUE(is_metric_name("dagctl_runs_started_total"));
  EXPECT_TRUE(is_metric_name("a:b"));
  EXPECT_FALSE(is_metric_name("9lives"));
  EXPECT_FALSE(is_metric_name("dagctl-runs"));
  EXPECT_FALSE(is_metric_name(""));
  EXPECT_TRUE(is_label_name("project"));
  EXPECT_FALSE(is_label_name("a:b"));
  EXPECT_FALSE(is_label_name("__name__"));
  TextWriter out;
  EXPECT_THROW(out.family("bad-name", "x", Type::counter), std::logic_error);
  out.family("dagctl_x_total", "x", Type::counter);
  EXPECT_THROW(out.family("dagctl_x_total", "again", Type::counter), std::logic_error);
  EXPECT_THROW(out.sample("dagctl_x_total", {{"bad-label", "v"}}, 1), std::logic_error);
}

}  // namespace
