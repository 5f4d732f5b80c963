// Tests for daemon/metrics/families and metrics: counters and histograms by label values,
// histogram buckets (le is "less than or equal", cumulative, +Inf, _sum, _count), the cap
// on label sets with its dropped count, and the schedule lag's meeting of fire time and
// start in either order (docs/metrics.md).
#include "daemon/metrics/families.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "daemon/metrics/metrics.hpp"

namespace {

using namespace dagctl::daemon::metrics;
using dagctl::common::from_millis;
using dagctl::common::RunStatus;

std::string text_of(const CounterFamily& f) {
  TextWriter out;
  f.write(out);
  return out.text();
}

std::string text_of(const HistogramFamily& f) {
  TextWriter out;
  f.write(out);
  return out.text();
}

TEST(MetricsFamilies, CountersAddUpBySeries) {
  CounterFamily runs("dagctl_runs_started_total", "Runs.", {"project", "job"}, 10);
  EXPECT_TRUE(runs.inc({"shop", "default"}));
  EXPECT_TRUE(runs.inc({"shop", "default"}));
  EXPECT_TRUE(runs.inc({"shop", "nightly"}, 3));
  EXPECT_EQ(text_of(runs),
            "# HELP dagctl_runs_started_total Runs.\n"
            "# TYPE dagctl_runs_started_total counter\n"
            "dagctl_runs_started_total{project=\"shop\",job=\"default\"} 2\n"
            "dagctl_runs_started_total{project=\"shop\",job=\"nightly\"} 3\n");
  EXPECT_THROW(runs.inc({"shop"}), std::logic_error);
}

TEST(MetricsFamilies, ANewSeriesBeyondTheCapIsDroppedAndCounted) {
  CounterFamily runs("dagctl_runs_started_total", "Runs.", {"job"}, 2);
  EXPECT_TRUE(runs.inc({"a"}));
  EXPECT_TRUE(runs.inc({"b"}));
  EXPECT_FALSE(runs.inc({"c"}));
  EXPECT_FALSE(runs.inc({"d"}));
  EXPECT_TRUE(runs.inc({"a"}));  // a known series still counts
  EXPECT_EQ(runs.dropped(), 2u);
  EXPECT_EQ(text_of(runs).find("job=\"c\""), std::string::npos);

  HistogramFamily lag("dagctl_schedule_lag_seconds", "Lag.", {"job"}, {1, 10}, 1);
  EXPECT_TRUE(lag.observe({"a"}, 0.5));
  EXPECT_FALSE(lag.observe({"b"}, 0.5));
  EXPECT_EQ(lag.dropped(), 1u);
}

TEST(MetricsFamilies, HistogramBucketsAreCumulativeWithLessOrEqual) {
  HistogramFamily h("dagctl_run_duration_seconds", "Durations.", {"job"}, {1, 5, 60}, 10);
  for (const double v : {0.2, 1.0, 3.0, 5.0, 61.0}) h.observe({"default"}, v);
  EXPECT_EQ(text_of(h),
            "# HELP dagctl_run_duration_seconds Durations.\n"
            "# TYPE dagctl_run_duration_seconds histogram\n"
            "dagctl_run_duration_seconds_bucket{job=\"default\",le=\"1\"} 2\n"
            "dagctl_run_duration_seconds_bucket{job=\"default\",le=\"5\"} 4\n"
            "dagctl_run_duration_seconds_bucket{job=\"default\",le=\"60\"} 4\n"
            "dagctl_run_duration_seconds_bucket{job=\"default\",le=\"+Inf\"} 5\n"
            "dagctl_run_duration_seconds_sum{job=\"default\"} 70.2\n"
            "dagctl_run_duration_seconds_count{job=\"default\"} 5\n");
}

TEST(MetricsFamilies, BucketBoundsMustIncrease) {
  EXPECT_THROW(HistogramFamily("x", "x", {}, {5, 1}, 1), std::logic_error);
  EXPECT_THROW(HistogramFamily("x", "x", {}, {1, 1}, 1), std::logic_error);
  EXPECT_THROW(HistogramFamily("x", "x", {}, {}, 1), std::logic_error);
}

TEST(MetricsFamilies, RunDurationBucketsFitDbtRuns) {
  const auto b = run_duration_buckets();
  EXPECT_EQ(b.front(), 1);
  EXPECT_EQ(b.back(), 7200);  // two hours
}

dagctl::daemon::store::Run scheduled_run(const std::string& id) {
  dagctl::daemon::store::Run r;
  r.id = id;
  r.project_name = "shop";
  r.job_current_name = "nightly";
  r.triggered_by = "schedule";
  return r;
}

std::string text_of(const Metrics& m) {
  TextWriter out;
  m.write(out);
  return out.text();
}

TEST(MetricsFamilies, ScheduleLagMeetsFireAndStartInEitherOrder) {
  Metrics m;
  auto first = scheduled_run("r1");
  m.schedule_fired("r1", from_millis(1000));
  m.run_started(first, from_millis(3500));  // 2.5 s late
  auto second = scheduled_run("r2");
  m.run_started(second, from_millis(10'000));  // started before the scheduler said when it fired
  m.schedule_fired("r2", from_millis(9'500));  // 0.5 s late
  const std::string text = text_of(m);
  EXPECT_NE(text.find("dagctl_schedule_lag_seconds_count{project=\"shop\",job_name=\"nightly\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dagctl_schedule_lag_seconds_sum{project=\"shop\",job_name=\"nightly\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dagctl_runs_started_total{project=\"shop\",job_name=\"nightly\"} 2\n"), std::string::npos) << text;
}

TEST(MetricsFamilies, RunEndsCountByStatusAndTimeTheirDuration) {
  Metrics m;
  auto run = scheduled_run("r1");
  run.triggered_by = "manual";
  run.start_time = from_millis(1000);
  m.run_finished(run, RunStatus::failed, from_millis(91'000));
  run.start_time.reset();  // cancelled while queued: no duration
  m.run_finished(run, RunStatus::cancelled, from_millis(91'000));
  const std::string text = text_of(m);
  EXPECT_NE(text.find("dagctl_runs_finished_total{project=\"shop\",job_name=\"nightly\",status=\"failed\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dagctl_runs_finished_total{project=\"shop\",job_name=\"nightly\",status=\"cancelled\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dagctl_run_duration_seconds_sum{project=\"shop\",job_name=\"nightly\"} 90\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dagctl_run_duration_seconds_count{project=\"shop\",job_name=\"nightly\"} 1\n"), std::string::npos) << text;
  bool overflowed = true;
  EXPECT_EQ(m.take_finished_runs(overflowed).size(), 2u);
  EXPECT_FALSE(overflowed);
  EXPECT_TRUE(m.take_finished_runs(overflowed).empty());
}

}  // namespace
