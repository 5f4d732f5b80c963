// Micro-benchmarks of the pure functions on the daemon's hot paths (Google Benchmark):
// override validation (every trigger), webhook signing (every delivery), run JSON (every
// GET /runs/:id and every list row), and cron next-fire (every scheduler tick).
//
//   build/bin/micro_benchmarks                         # full run
//   build/bin/micro_benchmarks --benchmark_min_time=0.05 --benchmark_format=json   # bench/run
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "common/dbt_command.hpp"
#include "common/time.hpp"
#include "daemon/api/views.hpp"
#include "daemon/schedule/cron.hpp"
#include "daemon/store/models.hpp"
#include "daemon/webhooks/signing.hpp"

namespace {

namespace common = dagctl::common;
namespace schedule = dagctl::daemon::schedule;
namespace webhooks = dagctl::daemon::webhooks;
namespace api = dagctl::daemon::api;
namespace store = dagctl::daemon::store;

// ---- override validation ---------------------------------------------------------------

void BM_ValidateDbtCommand_Short(benchmark::State& state) {
  const std::string command = "dbt build --select stg_books+";
  for (auto _ : state) benchmark::DoNotOptimize(common::validate_dbt_command(command));
}
BENCHMARK(BM_ValidateDbtCommand_Short);

void BM_ValidateDbtCommand_Typical(benchmark::State& state) {
  const std::string command =
      "dbt build --select 'tag:nightly,config.materialized:table' stg_books+ --exclude \"marts.finance\" "
      "--vars '{\"scenario\": \"partial\", \"slow_seconds\": 0}' --target prod --threads 4 --fail-fast";
  for (auto _ : state) benchmark::DoNotOptimize(common::validate_dbt_command(command));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * command.size()));
}
BENCHMARK(BM_ValidateDbtCommand_Typical);

void BM_ValidateDbtCommand_4KiB(benchmark::State& state) {
  std::string command = "dbt run --select";
  while (command.size() + 12 < common::kMaxDbtCommandBytes) command += " model_" + std::to_string(command.size() % 9999);
  for (auto _ : state) benchmark::DoNotOptimize(common::validate_dbt_command(command));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * command.size()));
}
BENCHMARK(BM_ValidateDbtCommand_4KiB);

void BM_ValidateDbtCommand_Rejected(benchmark::State& state) {
  const std::string command = "dbt build --select a; rm -rf /";
  for (auto _ : state) benchmark::DoNotOptimize(common::validate_dbt_command(command));
}
BENCHMARK(BM_ValidateDbtCommand_Rejected);

// ---- webhook signatures ----------------------------------------------------------------

// A body the size of a real delivery (the seed's conf shape, ~700 bytes).
std::string webhook_body() {
  return R"({"conf":{"event":"job.completed","timestamp":"2026-11-27T02:19:18.123Z","job":{"id":"9b1f7c1e-3f1c-4a43-a3f0-6ad0b7d7c0aa","name":"default","command":"dbt build"},"job_run":{"id":"2bfc61ea-4a57-4786-8dd1-7d75a18c9aac","status":"success","triggered_by":"manual","start_time":"2026-11-27T02:19:14.001Z","end_time":"2026-11-27T02:19:18.101Z","duration_seconds":4.1,"command_override":"dbt build --select stg_books+","error_message":null,"results":{"success":10,"pass":20}},"project":{"id":"0e0f6f0e-7c55-4d8e-9b9a-4f1f2a7c9d11","name":"shop","type":"dbt"},"organization":{"id":"org-3kq9x0b1z","name":"default"}}})";
}

void BM_GithubSignature(benchmark::State& state) {
  const std::string secret = webhooks::generate_secret();
  const std::string body = webhook_body();
  for (auto _ : state) benchmark::DoNotOptimize(webhooks::github_signature(secret, body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_GithubSignature);

void BM_StandardSignature(benchmark::State& state) {
  const std::string secret = webhooks::generate_secret();
  const std::string body = webhook_body();
  for (auto _ : state) {
    benchmark::DoNotOptimize(webhooks::standard_signature(secret, "msg_2bfc61ea", 1795753158, body));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_StandardSignature);

void BM_BothSignatures(benchmark::State& state) {  // what one delivery attempt signs
  const std::string secret = webhooks::generate_secret();
  const std::string body = webhook_body();
  for (auto _ : state) {
    benchmark::DoNotOptimize(webhooks::github_signature(secret, body));
    benchmark::DoNotOptimize(webhooks::standard_signature(secret, "msg_2bfc61ea", 1795753158, body));
  }
}
BENCHMARK(BM_BothSignatures);

// ---- run JSON --------------------------------------------------------------------------

store::Run finished_run() {
  store::Run r;
  r.id = "2bfc61ea-4a57-4786-8dd1-7d75a18c9aac";
  r.seq = 123456;
  r.job_id = "9b1f7c1e-3f1c-4a43-a3f0-6ad0b7d7c0aa";
  r.project_id = "0e0f6f0e-7c55-4d8e-9b9a-4f1f2a7c9d11";
  r.job_name = "default-manual-20261127-021918";
  r.status = common::RunStatus::partial;
  r.command = "dbt build --select stg_books+";
  r.command_override = "dbt build --select stg_books+";
  r.created_at = common::from_millis(1795753154001);
  r.start_time = common::from_millis(1795753154051);
  r.end_time = common::from_millis(1795753158101);
  r.exit_code = 1;
  r.error_message = "1 of 30 nodes failed";
  r.results = {{"success", 9}, {"error", 1}, {"skipped", 2}, {"pass", 18}};
  return r;
}

void BM_RunJson(benchmark::State& state) {
  const store::Run run = finished_run();
  for (auto _ : state) benchmark::DoNotOptimize(api::run_json(run, std::nullopt));
}
BENCHMARK(BM_RunJson);

void BM_RunJsonDump(benchmark::State& state) {  // what GET /runs/:id does after the query
  const store::Run run = finished_run();
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = api::run_json(run, std::nullopt).dump();
    bytes += text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RunJsonDump);

void BM_RunListJsonDump20(benchmark::State& state) {  // GET /runs?limit=20, rendering only
  const store::Run run = finished_run();
  for (auto _ : state) {
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < 20; ++i) list.push_back(api::run_json(run, std::nullopt));
    const std::string text = nlohmann::json{{"runs", list}, {"next", nullptr}}.dump();
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_RunListJsonDump20);

// ---- cron next fire --------------------------------------------------------------------

void BM_ParseCron(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(schedule::parse_cron("*/15 9-17 * * mon-fri"));
}
BENCHMARK(BM_ParseCron);

void next_fire_bench(benchmark::State& state, const char* expr_text, const char* zone_name) {
  const auto expr = schedule::parse_cron(expr_text).value();
  const auto zone = schedule::find_zone(zone_name).value();
  // Walk forward from a fixed instant so every iteration does a real search.
  const auto start = common::from_millis(1795753158101);  // 2026-11-27
  auto t = start;
  for (auto _ : state) {
    auto next = schedule::next_fire(expr, zone, t);
    if (!next) {
      state.SkipWithError("no next fire time");
      break;
    }
    t = *next;
    if (t - start > std::chrono::hours(24 * 365 * 4)) t = start;
    benchmark::DoNotOptimize(t);
  }
}

void BM_NextFire_Hourly_UTC(benchmark::State& state) { next_fire_bench(state, "0 * * * *", "UTC"); }
BENCHMARK(BM_NextFire_Hourly_UTC);
void BM_NextFire_Daily_Berlin(benchmark::State& state) { next_fire_bench(state, "0 3 * * *", "Europe/Berlin"); }
BENCHMARK(BM_NextFire_Daily_Berlin);
void BM_NextFire_Weekdays_NewYork(benchmark::State& state) {
  next_fire_bench(state, "*/15 9-17 * * mon-fri", "America/New_York");
}
BENCHMARK(BM_NextFire_Weekdays_NewYork);
// Sparse: the search walks many days ('0 0 13 * fri' fires on the 13th and on Fridays;
// Feb 29 only in leap years).
void BM_NextFire_Leapday_UTC(benchmark::State& state) { next_fire_bench(state, "0 12 29 2 *", "UTC"); }
BENCHMARK(BM_NextFire_Leapday_UTC);

}  // namespace

BENCHMARK_MAIN();
