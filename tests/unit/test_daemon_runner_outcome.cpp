// Tests for daemon/runner/outcome: how dbt's exit and run_results.json become the run's
// terminal status, error_message and results (docs/runs.md, docs/api.md `results`).
#include "daemon/runner/outcome.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <optional>
#include <string>

#include "test_util.hpp"

namespace {

using dagctl::common::to_string;
using dagctl::daemon::runner::classify;
using dagctl::daemon::runner::count_results;
using dagctl::daemon::runner::DbtReport;
using dagctl::daemon::runner::find_fatal_error;
using dagctl::daemon::runner::read_dbt_log_facts;
using dagctl::daemon::runner::ExitStatus;
using dagctl::daemon::runner::Outcome;
using dagctl::daemon::runner::StopReason;
using nlohmann::json;
using namespace dagctl::test;  // test_util.hpp

ExitStatus exited(int code) {
  ExitStatus e;
  e.exit_code = code;
  return e;
}

ExitStatus killed(int sig) {
  ExitStatus e;
  e.signal = sig;
  return e;
}

json node(const std::string& unique_id, const std::string& status, const std::string& message = "") {
  json r = {{"unique_id", unique_id}, {"status", status}, {"execution_time", 0.12},
            {"thread_id", "Thread-1 (worker)"}, {"adapter_response", json::object()}};
  r["message"] = message.empty() ? json(nullptr) : json(message);
  return r;
}

// The shape dbt 1.11 writes to target/run_results.json (only what matters here, plus noise).
json run_results(json results) {
  return {{"metadata", {{"dbt_schema_version", "https://schemas.getdbt.com/dbt/run-results/v6.json"},
                        {"dbt_version", "1.11.0"}}},
          {"results", std::move(results)},
          {"elapsed_time", 1.5},
          {"args", {{"which", "build"}}}};
}

DbtReport report(const std::optional<json>& results, std::optional<std::string> fatal = std::nullopt) {
  DbtReport r;
  r.run_results = results;
  r.fatal_error = std::move(fatal);
  return r;
}

Outcome classify_exit(int code, const std::optional<json>& results,
                      StopReason reason = StopReason::none) {
  return classify(exited(code), reason, report(results), 3600);
}

bool contains(const std::optional<std::string>& text, const std::string& part) {
  return text && text->find(part) != std::string::npos;
}

TEST(Outcome, ExitZeroIsSuccessWithoutErrorMessage) {
  const auto out = classify_exit(0, run_results({node("model.shop.orders", "success", "OK"),
                                                 node("test.shop.not_null", "pass")}));
  EXPECT_EQ(to_string(out.status), "success");
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_FALSE(out.error_message.has_value());
  EXPECT_EQ(out.results, (json{{"success", 1}, {"pass", 1}}));
}

TEST(Outcome, ExitZeroIsSuccessEvenWithoutRunResults) {
  const auto out = classify_exit(0, std::nullopt);  // e.g. `dbt deps` writes none
  EXPECT_EQ(to_string(out.status), "success");
  EXPECT_FALSE(out.error_message.has_value());
  EXPECT_EQ(out.results, json::object());
}

TEST(Outcome, ExitZeroIsSuccessEvenIfAStopWasRequested) {
  // dbt finished all its work before the stop reached it: the work is done.
  for (const auto reason : {StopReason::cancelled, StopReason::timed_out, StopReason::daemon_stopped}) {
    const auto out = classify_exit(0, run_results({node("model.shop.orders", "success")}), reason);
    EXPECT_EQ(to_string(out.status), "success") << static_cast<int>(reason);
    EXPECT_FALSE(out.error_message.has_value());
  }
}

TEST(Outcome, ExitOneWithSuccessAndErrorIsPartial) {
  const auto out = classify_exit(1, run_results({node("model.shop.customers", "success", "OK"),
                                                 node("model.shop.orders", "error", "Division by zero"),
                                                 node("test.shop.unique_orders_id", "skipped")}));
  EXPECT_EQ(to_string(out.status), "partial");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_TRUE(contains(out.error_message, "model.shop.orders")) << out.error_message.value_or("");
}

TEST(Outcome, ExitOneWithPassOrWarnAndFailIsPartial) {
  EXPECT_EQ(to_string(classify_exit(1, run_results({node("test.a", "pass"), node("test.b", "fail")})).status),
            "partial");
  EXPECT_EQ(to_string(classify_exit(1, run_results({node("test.a", "warn"), node("test.b", "fail")})).status),
            "partial");
  EXPECT_EQ(to_string(classify_exit(1, run_results({node("model.a", "success"),
                                                     node("operation.b", "runtime error")}))
                          .status),
            "partial");
}

TEST(Outcome, DbtPartialSuccessCountsAsSomeWorkDoneAndSomeFailed) {
  // A microbatch model with some failed batches: alone it makes the run partial.
  const auto out = classify_exit(1, run_results({node("model.shop.events", "partial success", "2 of 5 batches failed")}));
  EXPECT_EQ(to_string(out.status), "partial");
  EXPECT_TRUE(contains(out.error_message, "model.shop.events")) << out.error_message.value_or("");
}

TEST(Outcome, ExitOneWithOnlyErrorFailOrSkippedIsFailed) {
  const auto out = classify_exit(1, run_results({node("model.shop.orders", "error", "boom"),
                                                 node("test.shop.x", "fail", "Got 3 results"),
                                                 node("model.shop.downstream", "skipped")}));
  EXPECT_EQ(to_string(out.status), "failed");
  EXPECT_EQ(out.exit_code, 1);
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_EQ(out.results, (json{{"error", 1}, {"fail", 1}, {"skipped", 1}}));
}

TEST(Outcome, ExitOneWithWarnAndSkippedButNoFailureIsFailed) {
  // partial needs at least one node that failed; a warning alone is not a failure.
  const auto out = classify_exit(1, run_results({node("test.a", "warn"), node("model.b", "skipped")}));
  EXPECT_EQ(to_string(out.status), "failed");
  ASSERT_TRUE(out.error_message.has_value());
}

TEST(Outcome, ExitOneWithoutRunResultsIsFailedWithMessage) {
  const auto out = classify_exit(1, std::nullopt);
  EXPECT_EQ(to_string(out.status), "failed");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_TRUE(contains(out.error_message, "run_results.json")) << out.error_message.value_or("");
  EXPECT_EQ(out.results, json::object());
}

TEST(Outcome, ExitTwoIsErrorWithMessage) {
  const auto out = classify_exit(2, std::nullopt);
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(contains(out.error_message, "code 2")) << out.error_message.value_or("");
}

TEST(Outcome, ExitTwoIsErrorEvenWithSucceededNodes) {
  const auto out = classify_exit(2, run_results({node("model.a", "success"), node("model.b", "error")}));
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_TRUE(out.error_message.has_value());
}

TEST(Outcome, ExitTwoSaysDbtsOwnFatalError) {
  const auto out = classify(exited(2), StopReason::none,
                            report(std::nullopt, "Runtime Error Could not find profile named 'shop'"), 3600);
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_TRUE(contains(out.error_message, "code 2")) << out.error_message.value_or("");
  EXPECT_TRUE(contains(out.error_message, "Could not find profile named 'shop'")) << out.error_message.value_or("");
}

TEST(Outcome, OtherExitCodesAreError) {
  for (const int code : {3, 127, 255}) {
    const auto out = classify_exit(code, std::nullopt);
    EXPECT_EQ(to_string(out.status), "error") << code;
    EXPECT_TRUE(contains(out.error_message, "code " + std::to_string(code))) << out.error_message.value_or("");
  }
}

TEST(Outcome, KilledBySignalIsErrorNamingTheSignal) {
  const auto out = classify(killed(SIGKILL), StopReason::none, report(std::nullopt), 3600);
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_FALSE(out.exit_code.has_value());
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_TRUE(contains(out.error_message, "signal 9")) << *out.error_message;
  EXPECT_TRUE(contains(out.error_message, "Killed")) << *out.error_message;

  const auto segv = classify(killed(SIGSEGV), StopReason::none, report(std::nullopt), 3600);
  EXPECT_EQ(to_string(segv.status), "error");
  EXPECT_TRUE(contains(segv.error_message, "signal 11")) << segv.error_message.value_or("");
}

TEST(Outcome, CancelledRunIsCancelledWhateverDbtReturned) {
  for (const auto& ended : {exited(1), exited(2), killed(SIGINT), killed(SIGKILL)}) {
    const auto out = classify(ended, StopReason::cancelled, report(std::nullopt), 3600);
    EXPECT_EQ(to_string(out.status), "cancelled");
    EXPECT_TRUE(contains(out.error_message, "cancel")) << out.error_message.value_or("");
  }
}

TEST(Outcome, CancelledRunKeepsTheResultsDbtWrote) {
  const auto out = classify(exited(2), StopReason::cancelled,
                            report(run_results({node("model.a", "success"), node("model.b", "error")})), 3600);
  EXPECT_EQ(to_string(out.status), "cancelled");
  EXPECT_EQ(out.results, (json{{"success", 1}, {"error", 1}}));
}

TEST(Outcome, TimedOutRunIsErrorSayingTheTimeout) {
  const auto out = classify(killed(SIGTERM), StopReason::timed_out, report(std::nullopt), 90);
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_TRUE(contains(out.error_message, "timed out")) << out.error_message.value_or("");
  EXPECT_TRUE(contains(out.error_message, "90")) << out.error_message.value_or("");
}

TEST(Outcome, DaemonStoppedRunIsErrorDaemonStopped) {
  const auto out = classify(exited(2), StopReason::daemon_stopped, report(std::nullopt), 3600);
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_TRUE(contains(out.error_message, "daemon stopped")) << out.error_message.value_or("");
}

TEST(Outcome, ErrorMessageListsFailingNodesWithTheFirstLinesOfTheirMessage) {
  const auto out = classify_exit(
      1, run_results({node("model.shop.customers", "success", "OK"),
                      node("model.shop.orders", "error",
                           "Runtime Error in model orders (models/orders.sql)\n  Division by zero"),
                      node("test.shop.accepted_values_status", "fail", "Got 3 results, configured to fail if != 0"),
                      node("model.shop.skipped_one", "skipped")}));
  ASSERT_TRUE(out.error_message.has_value());
  const std::string& m = *out.error_message;
  EXPECT_NE(m.find("model.shop.orders"), std::string::npos) << m;
  EXPECT_NE(m.find("Runtime Error in model orders (models/orders.sql)"), std::string::npos) << m;
  EXPECT_NE(m.find("(models/orders.sql): Division by zero)"), std::string::npos) << "the cause too: " << m;
  EXPECT_NE(m.find("test.shop.accepted_values_status"), std::string::npos) << m;
  EXPECT_NE(m.find("Got 3 results"), std::string::npos) << m;
  EXPECT_EQ(m.find("model.shop.customers"), std::string::npos) << "succeeded nodes are not listed: " << m;
  EXPECT_EQ(m.find("model.shop.skipped_one"), std::string::npos) << "skipped nodes are not listed: " << m;
  EXPECT_NE(m.find("2 nodes failed"), std::string::npos) << m;
}

// The message dbt 1.11 with DuckDB writes for a model that reads a missing table: the cause
// is on the second line, the SQL excerpt after it is noise.
TEST(Outcome, ErrorMessageKeepsTheCauseAndDropsTheSqlExcerpt) {
  const auto out = classify_exit(
      1, run_results({node("model.shop.broken", "error",
                           "Runtime Error in model broken (models/broken.sql)\n"
                           "  Catalog Error: Table with name raw_orders_missing does not exist!\n"
                           "  Did you mean \"pragma_database_list\"?\n  \n"
                           "  LINE 5:     select * from raw_orders_missing\n"
                           "                            ^^^^^^^^^^^^^^^^^^")}));
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_EQ(*out.error_message,
            "1 node failed: model.shop.broken (Runtime Error in model broken (models/broken.sql): "
            "Catalog Error: Table with name raw_orders_missing does not exist! "
            "Did you mean \"pragma_database_list\"?)");
}

TEST(Outcome, ErrorMessageKeepsAtMostThreeLinesOfANode) {
  const auto out = classify_exit(1, run_results({node("model.shop.x", "error", "one\n\n two\nthree\nfour\nfive")}));
  EXPECT_EQ(out.error_message.value_or(""), "1 node failed: model.shop.x (one: two three)");
}

TEST(Outcome, ErrorMessageCutsALongCauseWithoutSplittingUtf8) {
  std::string cause;
  for (int i = 0; i < 200; ++i) cause += "\xC3\xA9";  // é, two bytes each
  const auto out = classify_exit(1, run_results({node("model.shop.x", "error", "Runtime Error\n" + cause)}));
  ASSERT_TRUE(out.error_message.has_value());
  const std::string& m = *out.error_message;
  EXPECT_LT(m.size(), 400u) << m;
  EXPECT_NE(m.find("...)"), std::string::npos) << m;
  // The byte before "..." ends a whole é.
  const auto dots = m.find("...)");
  EXPECT_EQ(static_cast<unsigned char>(m[dots - 1]), 0xA9u) << m;
}

TEST(Outcome, ErrorMessageNamesANodeWithoutMessage) {
  const auto out = classify_exit(1, run_results({node("model.shop.orders", "error")}));
  EXPECT_TRUE(contains(out.error_message, "model.shop.orders")) << out.error_message.value_or("");
  EXPECT_TRUE(contains(out.error_message, "1 node failed")) << out.error_message.value_or("");
}

TEST(Outcome, ErrorMessageStaysShortWithManyFailures) {
  json results = json::array();
  for (int i = 0; i < 40; ++i) results.push_back(node("model.shop.m" + std::to_string(i), "error", std::string(500, 'x')));
  const auto out = classify_exit(1, run_results(results));
  EXPECT_EQ(to_string(out.status), "failed");
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_LT(out.error_message->size(), 2000u) << *out.error_message;
  EXPECT_TRUE(contains(out.error_message, "40 nodes failed")) << *out.error_message;
  EXPECT_TRUE(contains(out.error_message, "model.shop.m0")) << *out.error_message;
  EXPECT_TRUE(contains(out.error_message, "35 more")) << *out.error_message;
}

TEST(Outcome, CountResultsCountsByStatus) {
  const json rr = run_results({node("model.a", "success"), node("model.b", "success"),
                               node("model.c", "error"), node("test.d", "pass"), node("test.e", "pass"),
                               node("test.f", "pass"), node("test.g", "warn"), node("model.h", "skipped"),
                               node("model.i", "skipped")});
  EXPECT_EQ(count_results(rr),
            (json{{"success", 2}, {"error", 1}, {"pass", 3}, {"warn", 1}, {"skipped", 2}}));
}

TEST(Outcome, CountResultsIgnoresMalformedEntries) {
  json rr = run_results({node("model.a", "success"), 42, "text", json{{"unique_id", "model.x"}},
                         json{{"unique_id", "model.y"}, {"status", 3}}});
  EXPECT_EQ(count_results(rr), (json{{"success", 1}}));
  EXPECT_EQ(count_results(json::array()), json::object());
  EXPECT_EQ(count_results(json{{"results", "nope"}}), json::object());
  EXPECT_EQ(count_results(json::object()), json::object());
}

// A run_results.json with non-string fields or a non-object top level is dbt's surprise,
// not a reason to crash: classify() still gives failed/partial from what it can read.
TEST(Outcome, MalformedRunResultsDoNotThrow) {
  const json rr = run_results({json{{"unique_id", 5}, {"status", "error"}}, json{{"unique_id", "model.a"}, {"status", nullptr}},
                               node("model.b", "success")});
  EXPECT_NO_THROW(classify_exit(1, rr));
  EXPECT_NO_THROW(classify_exit(1, json::array()));
  EXPECT_NO_THROW(classify_exit(1, json(nullptr)));
}

TEST(Outcome, ResultsAreCountedWhateverTheStatus) {
  const json rr = run_results({node("model.a", "success"), node("model.b", "error")});
  EXPECT_EQ(classify_exit(1, rr).results, (json{{"success", 1}, {"error", 1}}));
  EXPECT_EQ(classify(killed(SIGKILL), StopReason::none, report(rr), 60).results, (json{{"success", 1}, {"error", 1}}));
}

// ---- find_fatal_error: dbt's "Encountered an error" from its JSON log file ----

std::string log_event(const std::string& name, const std::string& level, const json& data) {
  return json{{"data", data},
              {"info", {{"category", ""}, {"code", "Z002"}, {"extra", json::object()},
                        {"invocation_id", "4c1e6a8e-7f0b-4a53-9a43-0b3f7c5d2e11"}, {"level", level},
                        {"msg", "Encountered an error"}, {"name", name}, {"pid", 41234},
                        {"thread", "MainThread"}, {"ts", "2026-04-02T12:00:01.123456Z"}}}}
      .dump();
}

TEST(Outcome, FatalErrorIsReadFromDbtsJsonLogOnOneLine) {
  TempDir dir;
  const auto path = dir.file("dbt.log");
  std::ofstream(path) << log_event("MainReportVersion", "info", {{"version", "=1.11.0"}, {"log_version", 3}}) << "\n"
                      << "not json, but mentions MainEncounteredError\n"
                      << log_event("MainEncounteredError", "error",
                                   {{"exc", "Runtime Error\n  Could not find profile named 'shop'\n"}})
                      << "\n"
                      << log_event("MainStackTrace", "debug", {{"stack_trace", "Traceback ..."}}) << "\n";
  EXPECT_EQ(find_fatal_error(path), "Runtime Error Could not find profile named 'shop'");
}

TEST(Outcome, NoFatalErrorWithoutTheEventOrTheFile) {
  TempDir dir;
  EXPECT_FALSE(find_fatal_error(dir.file("missing.log")).has_value());
  const auto path = dir.file("dbt.log");
  std::ofstream(path) << log_event("MainReportVersion", "info", {{"version", "=1.11.0"}}) << "\n"
                      << log_event("CommandCompleted", "debug", {{"success", false}}) << "\n";
  EXPECT_FALSE(find_fatal_error(path).has_value());
}

TEST(Outcome, LongFatalErrorIsShortened) {
  TempDir dir;
  const auto path = dir.file("dbt.log");
  std::ofstream(path) << log_event("MainEncounteredError", "error", {{"exc", "Compilation Error " + std::string(5000, 'x')}})
                      << "\n";
  const auto found = find_fatal_error(path);
  ASSERT_TRUE(found.has_value());
  EXPECT_LE(found->size(), 510u);
  EXPECT_EQ(found->rfind("Compilation Error", 0), 0u);
}

}  // namespace

// ---- nothing_selected (docs/runs.md, "Nothing selected") ----

TEST(Outcome, NothingSelectedFromDbtsLogEvents) {
  TempDir dir;
  const auto run_log = dir.file("run.log");
  std::ofstream(run_log) << log_event("NoNodesForSelectionCriteria", "warn", {{"spec_raw", "does_not_exist"}}) << "\n"
                         << log_event("NothingToDo", "warn", json::object()) << "\n";
  EXPECT_TRUE(read_dbt_log_facts(run_log).nothing_to_do);
  const auto ls_log = dir.file("ls.log");
  std::ofstream(ls_log) << log_event("NoNodesSelected", "warn", json::object()) << "\n";
  EXPECT_TRUE(read_dbt_log_facts(ls_log).nothing_to_do);
  // The name in a message is not the event.
  const auto other = dir.file("other.log");
  std::ofstream(other) << log_event("LogModelResult", "info", {{"description", "NothingToDo"}}) << "\n";
  EXPECT_FALSE(read_dbt_log_facts(other).nothing_to_do);
  EXPECT_FALSE(read_dbt_log_facts(dir.file("missing.log")).nothing_to_do);
}

TEST(Outcome, NothingSelectedOnlyForACleanExit) {
  DbtReport said_nothing = report(run_results(json::array()));
  said_nothing.nothing_to_do = true;
  EXPECT_TRUE(classify(exited(0), StopReason::none, said_nothing, 60).nothing_selected);
  const auto failed = classify(exited(2), StopReason::none, said_nothing, 60);
  EXPECT_FALSE(failed.nothing_selected);
}

TEST(Outcome, NothingSelectedFromEmptyResultsOfASelectingCommand) {
  json empty_run = run_results(json::array());
  empty_run["args"]["which"] = "run";
  EXPECT_TRUE(classify_exit(0, empty_run).nothing_selected);
  json some = run_results({node("model.shop.a", "success")});
  EXPECT_FALSE(classify_exit(0, some).nothing_selected);
  json operation = run_results(json::array());
  operation["args"]["which"] = "run-operation";
  EXPECT_FALSE(classify_exit(0, operation).nothing_selected) << "selects nothing by nature";
  EXPECT_FALSE(classify_exit(0, std::nullopt).nothing_selected) << "deps writes no run_results.json";
}

// --- SQLMesh (docs/sqlmesh.md, Statuses): exit 1 is a failed model or an error alike ---

namespace {

Outcome classify_sqlmesh(const ExitStatus& exit, const std::optional<json>& results,
                         std::optional<std::string> fatal = std::nullopt, StopReason reason = StopReason::none) {
  return classify(exit, reason, report(results, std::move(fatal)), 3600, "sqlmesh");
}

TEST(Outcome, SqlmeshExitOneWithFailedAndSucceededModelsIsPartial) {
  const auto out = classify_sqlmesh(exited(1), run_results({node("model.bakery.daily_sales", "success"),
                                                             node("model.bakery.orders", "error", "boom"),
                                                             node("model.bakery.top_products", "skipped")}));
  EXPECT_EQ(to_string(out.status), "partial");
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_TRUE(contains(*out.error_message, "model.bakery.orders")) << *out.error_message;
}

TEST(Outcome, SqlmeshExitOneWithOnlyFailedModelsIsFailed) {
  const auto out = classify_sqlmesh(exited(1), run_results({node("audit.bakery.orders.not_null", "fail"),
                                                             node("model.bakery.x", "skipped")}));
  EXPECT_EQ(to_string(out.status), "failed");
}

TEST(Outcome, SqlmeshExitOneWithoutAFailedModelIsAnErrorSayingSqlmeshsMessage) {
  const auto out = classify_sqlmesh(exited(1), run_results({node("model.bakery.daily_sales", "success")}),
                                    std::string("Error: Invalid config.yaml"));
  EXPECT_EQ(to_string(out.status), "error");
  EXPECT_EQ(out.error_message, "sqlmesh exited with code 1: Error: Invalid config.yaml");
  const auto no_results = classify_sqlmesh(exited(1), std::nullopt, std::string("Uncategorized changes"));
  EXPECT_EQ(to_string(no_results.status), "error");
  EXPECT_EQ(no_results.error_message, "sqlmesh exited with code 1: Uncategorized changes");
}

TEST(Outcome, SqlmeshExitOneWithNeitherAFailedModelNorAMessageIsAnError) {
  const auto out = classify_sqlmesh(exited(1), std::nullopt);
  EXPECT_EQ(to_string(out.status), "error");
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_TRUE(contains(*out.error_message, "sqlmesh exited with code 1")) << *out.error_message;
  EXPECT_FALSE(contains(*out.error_message, "dbt")) << *out.error_message;
  EXPECT_EQ(out.exit_code, 1);
}

TEST(Outcome, SqlmeshKilledBySignalNamesSqlmesh) {
  const auto out = classify_sqlmesh(killed(SIGKILL), std::nullopt);
  EXPECT_EQ(to_string(out.status), "error");
  ASSERT_TRUE(out.error_message.has_value());
  EXPECT_TRUE(contains(*out.error_message, "sqlmesh was killed by signal 9")) << *out.error_message;
}

TEST(Outcome, SqlmeshCancelAndTimeoutAreAsForDbt) {
  for (const auto& ended : {exited(1), killed(SIGINT)}) {
    const auto sqlmesh = classify_sqlmesh(ended, std::nullopt, std::nullopt, StopReason::cancelled);
    const auto dbt = classify(ended, StopReason::cancelled, report(std::nullopt), 3600);
    EXPECT_EQ(to_string(sqlmesh.status), "cancelled");
    EXPECT_EQ(sqlmesh.error_message, dbt.error_message);
  }
  const auto timed_out = classify(killed(SIGTERM), StopReason::timed_out, report(std::nullopt), 90, "sqlmesh");
  const auto dbt_timed_out = classify(killed(SIGTERM), StopReason::timed_out, report(std::nullopt), 90);
  EXPECT_EQ(to_string(timed_out.status), "error");
  EXPECT_EQ(timed_out.error_message, dbt_timed_out.error_message);
}

TEST(Outcome, DbtExitOneWithoutResultsIsStillFailed) {
  const auto out = classify(exited(1), StopReason::none, report(std::nullopt), 3600, "dbt");
  EXPECT_EQ(to_string(out.status), "failed");
  EXPECT_EQ(out.error_message, "dbt exited 1 without writing run_results.json");
  const auto only_success = classify(exited(1), StopReason::none,
                                     report(run_results({node("model.a", "success")}), std::string("fatal")), 3600);
  EXPECT_EQ(to_string(only_success.status), "failed");
}

}  // namespace

TEST(Outcome, SqlmeshMissingEnvironmentSaysThatAPlanCreatesIt) {
  const auto prod = classify_sqlmesh(exited(1), std::nullopt, std::string("Environment 'prod' was not found."));
  EXPECT_EQ(prod.error_message,
            "sqlmesh exited with code 1: Environment 'prod' was not found. (a plan creates it: run a job whose "
            "command is 'sqlmesh plan --auto-apply --no-prompts' first)");
  const auto dev = classify_sqlmesh(exited(1), std::nullopt, std::string("Environment 'dev_1' was not found."));
  ASSERT_TRUE(dev.error_message.has_value());
  EXPECT_TRUE(contains(*dev.error_message, "'sqlmesh plan dev_1 --auto-apply --no-prompts'")) << *dev.error_message;
  const auto odd = classify_sqlmesh(exited(1), std::nullopt, std::string("Environment 'a b' was not found."));
  ASSERT_TRUE(odd.error_message.has_value());
  EXPECT_TRUE(contains(*odd.error_message, "'sqlmesh plan --auto-apply --no-prompts'")) << *odd.error_message;
  const auto dbt = classify(exited(2), StopReason::none, report(std::nullopt, "Environment 'prod' was not found."),
                            3600, "dbt");
  EXPECT_EQ(dbt.error_message, "dbt exited with code 2: Environment 'prod' was not found.");
}
