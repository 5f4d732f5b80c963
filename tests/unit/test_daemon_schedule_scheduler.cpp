// SchedulerCore on a fake clock: the test says what time it is; nothing sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "daemon/schedule/scheduler.hpp"

namespace dagctl::daemon::schedule {
namespace {

common::TimePoint at(const std::string& rfc3339) { return *common::parse_rfc3339(rfc3339); }

// The daemon as the scheduler sees it, in memory.
class FakeActions : public ScheduleActions {
public:
  std::map<std::string, store::Job> jobs;
  std::map<std::string, bool> active;  // job id -> a run is queued or running
  std::vector<std::string> triggered;  // job ids, in order

  store::Job& add(const std::string& id, const std::string& cron, const std::string& created) {
    store::Job j;
    j.id = id;
    j.name = id;
    j.schedule = cron;
    j.timezone = "UTC";
    j.created_at = j.updated_at = at(created);
    j.schedule_checked_at = at(created);
    return jobs[id] = j;
  }
  std::vector<store::Job> scheduled_jobs() override {
    std::vector<store::Job> out;
    for (const auto& [id, j] : jobs) {
      if (j.enabled && j.schedule) out.push_back(j);
    }
    return out;
  }
  bool has_active_run(const std::string& job_id) override { return active[job_id]; }
  std::optional<std::string> fire(const store::Job& job, common::TimePoint fire_time, common::TimePoint checked_at,
                                  const std::string& outcome_prefix) override {
    triggered.push_back(job.id);
    const std::string run_id = "run-" + std::to_string(triggered.size());
    FakeActions::record(job.id, checked_at, fire_time, outcome_prefix + "run " + run_id);
    return run_id;
  }
  void record(const std::string& job_id, common::TimePoint checked_at, std::optional<common::TimePoint> fired_at,
              const std::optional<std::string>& outcome) override {
    auto& j = jobs[job_id];
    j.schedule_checked_at = checked_at;
    if (fired_at) j.last_fire_at = fired_at;
    if (outcome) j.last_fire_outcome = outcome;
  }
};

TEST(Scheduler, FiresOnTimeAndNotBefore) {
  FakeActions fake;
  fake.add("nightly", "0 3 * * *", "2026-11-27T00:00:00Z");
  SchedulerCore core(fake);
  EXPECT_EQ(core.next_wake(at("2026-11-27T00:00:00Z")), at("2026-11-27T03:00:00Z"));
  core.tick(at("2026-11-27T02:59:59Z"), false);
  EXPECT_TRUE(fake.triggered.empty());
  core.tick(at("2026-11-27T03:00:00Z"), false);
  ASSERT_EQ(fake.triggered, std::vector<std::string>{"nightly"});
  EXPECT_EQ(fake.jobs["nightly"].last_fire_at, at("2026-11-27T03:00:00Z"));
  EXPECT_EQ(fake.jobs["nightly"].last_fire_outcome, "run run-1");
  core.tick(at("2026-11-27T03:00:30Z"), false);  // the same fire time fires once
  EXPECT_EQ(fake.triggered.size(), 1u);
  EXPECT_EQ(core.next_wake(at("2026-11-27T03:00:30Z")), at("2026-11-28T03:00:00Z"));
}

TEST(Scheduler, SkipsWhileARunOfTheJobIsActiveAndRecordsWhy) {
  FakeActions fake;
  fake.add("hourly", "@hourly", "2026-11-27T00:00:00Z");
  fake.active["hourly"] = true;
  SchedulerCore core(fake);
  core.tick(at("2026-11-27T01:00:00Z"), false);
  EXPECT_TRUE(fake.triggered.empty());
  EXPECT_NE(fake.jobs["hourly"].last_fire_outcome->find("skipped"), std::string::npos);
  fake.active["hourly"] = false;
  core.tick(at("2026-11-27T01:30:00Z"), false);  // the skipped time is not made up later
  EXPECT_TRUE(fake.triggered.empty());
  core.tick(at("2026-11-27T02:00:00Z"), false);
  EXPECT_EQ(fake.triggered.size(), 1u);
}

TEST(Scheduler, OneCatchUpRunAfterDowntimeHoweverManyWereMissed) {
  FakeActions fake;
  fake.add("often", "*/5 * * * *", "2026-11-27T00:00:00Z");
  SchedulerCore core(fake);
  core.tick(at("2026-11-27T10:00:00Z"), /*startup=*/true);  // down for 10 hours: 120 fire times
  ASSERT_EQ(fake.triggered.size(), 1u);
  EXPECT_NE(fake.jobs["often"].last_fire_outcome->find("catch-up"), std::string::npos);
  core.tick(at("2026-11-27T10:04:00Z"), false);
  EXPECT_EQ(fake.triggered.size(), 1u);
  core.tick(at("2026-11-27T10:05:00Z"), false);
  EXPECT_EQ(fake.triggered.size(), 2u);
}

TEST(Scheduler, CatchUpOffOnlyMovesOn) {
  FakeActions fake;
  fake.add("nightly", "0 3 * * *", "2026-11-27T00:00:00Z").catchup = false;
  SchedulerCore core(fake);
  core.tick(at("2026-11-28T12:00:00Z"), /*startup=*/true);
  EXPECT_TRUE(fake.triggered.empty());
  EXPECT_NE(fake.jobs["nightly"].last_fire_outcome->find("catch-up is off"), std::string::npos);
  core.tick(at("2026-11-29T03:00:00Z"), false);
  EXPECT_EQ(fake.triggered.size(), 1u);
}

TEST(Scheduler, DisabledJobsDoNotFireAndReenablingDoesNotCatchUp) {
  FakeActions fake;
  fake.add("nightly", "0 3 * * *", "2026-11-27T00:00:00Z").enabled = false;
  SchedulerCore core(fake);
  core.tick(at("2026-11-27T03:00:00Z"), false);
  EXPECT_TRUE(fake.triggered.empty());
  EXPECT_EQ(core.next_wake(at("2026-11-27T03:00:00Z")), std::nullopt);
  // Re-enabling through the API starts the job's schedule afresh from that moment.
  auto& job = fake.jobs["nightly"];
  job.enabled = true;
  job.schedule_checked_at = at("2026-11-27T12:00:00Z");
  core.tick(at("2026-11-27T12:00:01Z"), false);
  EXPECT_TRUE(fake.triggered.empty());
  core.tick(at("2026-11-28T03:00:00Z"), false);
  EXPECT_EQ(fake.triggered.size(), 1u);
}

TEST(Scheduler, AScheduleChangeTakesEffectAtOnce) {
  FakeActions fake;
  fake.add("job", "0 3 * * *", "2026-11-27T00:00:00Z");
  SchedulerCore core(fake);
  EXPECT_EQ(core.next_wake(at("2026-11-27T01:00:00Z")), at("2026-11-27T03:00:00Z"));
  fake.jobs["job"].schedule = "30 1 * * *";
  fake.jobs["job"].schedule_checked_at = at("2026-11-27T01:00:00Z");
  EXPECT_EQ(core.next_wake(at("2026-11-27T01:00:00Z")), at("2026-11-27T01:30:00Z"));
}

TEST(Scheduler, NextWakeIsTheEarliestOverJobsAndZones) {
  FakeActions fake;
  fake.add("utc", "0 3 * * *", "2026-11-27T00:00:00Z");
  fake.add("berlin", "0 3 * * *", "2026-11-27T00:00:00Z").timezone = "Europe/Berlin";  // 02:00Z in winter
  SchedulerCore core(fake);
  EXPECT_EQ(core.next_wake(at("2026-11-27T00:00:00Z")), at("2026-11-27T02:00:00Z"));
  core.tick(at("2026-11-27T02:00:00Z"), false);
  EXPECT_EQ(fake.triggered, std::vector<std::string>{"berlin"});
}


// The store failing (another process holds the database locked): first `failures` calls
// of record() or fire() throw, as the real store's would (a fire writes all or nothing).
class FlakyActions : public FakeActions {
public:
  int record_failures = 0;
  int fire_failures = 0;
  std::optional<std::string> fire(const store::Job& job, common::TimePoint fire_time, common::TimePoint checked_at,
                                  const std::string& outcome_prefix) override {
    if (fire_failures > 0 && fire_failures--) throw std::runtime_error("the database is locked");
    return FakeActions::fire(job, fire_time, checked_at, outcome_prefix);
  }
  void record(const std::string& job_id, common::TimePoint checked_at, std::optional<common::TimePoint> fired_at,
              const std::optional<std::string>& outcome) override {
    if (record_failures > 0 && record_failures--) throw std::runtime_error("the database is locked");
    FakeActions::record(job_id, checked_at, fired_at, outcome);
  }
};

// A skip whose record failed stays owed: later ticks record it first, and the job is left
// alone until then (its skipped fire time never starts a run).
TEST(Scheduler, ASkipWhoseRecordFailedIsRecordedLaterAndNeverStartsARun) {
  FlakyActions fake;
  fake.add("hourly", "0 * * * *", "2026-11-27T00:00:00Z");
  fake.active["hourly"] = true;
  SchedulerCore core(fake);
  fake.record_failures = 2;
  const auto failure = core.tick(at("2026-11-27T01:00:00Z"), false);
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->find("the database is locked"), std::string::npos) << *failure;
  fake.active["hourly"] = false;
  EXPECT_TRUE(core.tick(at("2026-11-27T01:00:01Z"), false).has_value()) << "the record still fails";
  EXPECT_FALSE(core.tick(at("2026-11-27T01:00:02Z"), false).has_value());
  EXPECT_TRUE(fake.triggered.empty()) << "the skipped fire time started no run";
  EXPECT_NE(fake.jobs["hourly"].last_fire_outcome->find("skipped"), std::string::npos);
  core.tick(at("2026-11-27T02:00:00Z"), false);
  EXPECT_EQ(fake.triggered, std::vector<std::string>{"hourly"});
}

// Only while the daemon leads (docs/schedules.md, "Several daemons"): another daemon fires.
TEST(Scheduler, FiresNothingWhileAnotherDaemonLeads) {
  class Follower : public FakeActions {
  public:
    bool leading = false;
    bool lead(common::TimePoint) override { return leading; }
  } fake;
  fake.add("nightly", "0 3 * * *", "2026-11-27T00:00:00Z");
  SchedulerCore core(fake);
  EXPECT_FALSE(core.tick(at("2026-11-27T03:00:00Z"), false).has_value());
  EXPECT_TRUE(fake.triggered.empty());
  fake.leading = true;
  core.tick(at("2026-11-27T03:00:20Z"), false);
  EXPECT_EQ(fake.triggered, std::vector<std::string>{"nightly"}) << "a new leader fires what is due, once";
}

// A fire time whose trigger failed is not lost: it fires at the next tick, late.
TEST(Scheduler, AFireWhoseTriggerFailedFiresAtTheNextTick) {
  FlakyActions fake;
  fake.add("nightly", "0 3 * * *", "2026-11-27T00:00:00Z");
  fake.fire_failures = 1;
  SchedulerCore core(fake);
  EXPECT_TRUE(core.tick(at("2026-11-27T03:00:00Z"), false).has_value());
  EXPECT_TRUE(fake.triggered.empty());
  EXPECT_FALSE(core.tick(at("2026-11-27T03:00:05Z"), false).has_value());
  EXPECT_EQ(fake.triggered, std::vector<std::string>{"nightly"});
  EXPECT_EQ(fake.jobs["nightly"].last_fire_at, at("2026-11-27T03:00:00Z"));
}

// FakeActions for the Scheduler's own thread: every call under one mutex, and a way to
// wait for what the thread did.
class LockedActions : public ScheduleActions {
public:
  template <typename F>
  auto with(F f) {
    std::lock_guard lock(mutex_);
    return f(fake_);
  }
  // True when `pred(fake)` held before the deadline.
  template <typename Pred>
  bool wait_for(Pred pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return pred(fake_); });
  }
  std::vector<store::Job> scheduled_jobs() override { return with([](FakeActions& f) { return f.scheduled_jobs(); }); }
  bool has_active_run(const std::string& job_id) override {
    return with([&](FakeActions& f) { return f.has_active_run(job_id); });
  }
  std::optional<std::string> fire(const store::Job& job, common::TimePoint fire_time, common::TimePoint checked_at,
                                  const std::string& outcome_prefix) override {
    auto id = with([&](FakeActions& f) { return f.fire(job, fire_time, checked_at, outcome_prefix); });
    changed_.notify_all();
    return id;
  }
  void record(const std::string& job_id, common::TimePoint checked_at, std::optional<common::TimePoint> fired_at,
              const std::optional<std::string>& outcome) override {
    with([&](FakeActions& f) { f.record(job_id, checked_at, fired_at, outcome); });
    changed_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  FakeActions fake_;
};

// The thread ticks at start (a catch-up run for what was missed while down) and again when
// woken because jobs changed; a stop does not wait for the next fire time.
TEST(Scheduler, TheThreadTicksAtStartAndWhenJobsChange) {
  const auto an_hour_ago = common::to_rfc3339(
      std::chrono::time_point_cast<std::chrono::seconds>(common::now() - std::chrono::hours(1)));
  LockedActions actions;
  actions.with([&](FakeActions& f) { return f.add("hourly", "@hourly", an_hour_ago).id; });
  Scheduler scheduler(actions);
  scheduler.start();
  ASSERT_TRUE(actions.wait_for([](FakeActions& f) { return f.jobs["hourly"].last_fire_outcome.has_value(); }));
  EXPECT_EQ(actions.with([](FakeActions& f) { return f.triggered.size(); }), 1u);
  EXPECT_NE(actions.with([](FakeActions& f) { return *f.jobs["hourly"].last_fire_outcome; }).find("catch-up"),
            std::string::npos);
  actions.with([&](FakeActions& f) { return f.add("minutely", "* * * * *", an_hour_ago).id; });
  scheduler.wake();
  ASSERT_TRUE(actions.wait_for([](FakeActions& f) { return f.triggered.size() == 2; }));
  EXPECT_EQ(actions.with([](FakeActions& f) { return f.triggered.back(); }), "minutely");
  scheduler.shutdown();
  scheduler.shutdown();  // a second call is harmless
}

}  // namespace
}  // namespace dagctl::daemon::schedule
