// The watch mode (docs/cli.md#watch-mode): the status line fitted to 80, 60 and 20
// columns, text widths in UTF-8, dbt's node lines fitted to the terminal, the summary
// wrapped at word boundaries, and the display's output read back as a terminal shows it.
#include "cli/status_line.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/dbt_lines.hpp"
#include "cli/run_summary.hpp"
#include "cli/text_width.hpp"
#include "cli/watch_display.hpp"

namespace {

using nlohmann::json;
using namespace dagctl::cli;

StatusView running_view(int nodes) {
  StatusView v;
  v.phase = "running";
  v.done = 3;
  v.total = 12;
  const char* names[] = {"stg_orders", "fct_sales_by_store_and_day_with_a_long_name", "calendar", "book_revenue"};
  for (int i = 0; i < nodes; ++i) v.running.push_back({names[i % 4], 12.0 - i * 3});
  v.elapsed_seconds = 45;
  return v;
}

// --- text widths ----------------------------------------------------------------------------

TEST(TextWidth, CountsColumnsNotBytes) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("·"), 1);             // two bytes, one column
  EXPECT_EQ(display_width("…"), 1);
  EXPECT_EQ(display_width("日本語"), 6);         // wide: two columns each
  EXPECT_EQ(display_width("e\u0301"), 1);       // e + combining acute accent
  EXPECT_EQ(display_width("\033[32mOK\033[0m"), 2);  // colours take no room
  EXPECT_EQ(display_width("🎉x"), 3);
}

TEST(TextWidth, InvalidUtf8CountsOneColumnPerByte) {
  EXPECT_EQ(display_width("a\xff" "b"), 3);
  EXPECT_EQ(display_width("\xe6\x97"), 2);  // a cut three-byte character
}

TEST(TextWidth, FitCutsAtCharactersAndAddsAnEllipsis) {
  EXPECT_EQ(fit_to_width("hello", 5), "hello");
  EXPECT_EQ(fit_to_width("hello world", 6), "hello…");
  EXPECT_EQ(fit_to_width("日本語テキスト", 5), "日本…");  // never half a wide character
  EXPECT_EQ(display_width(fit_to_width("日本語テキスト", 5)), 5);
  EXPECT_EQ(fit_to_width("\033[31mERROR\033[0m x", 4), "\033[31mERR…\033[0m");
  EXPECT_EQ(fit_to_width("abc", 0), "");
}

TEST(TextWidth, WrapsAtWordBoundaries) {
  const auto lines = wrap_words("Runtime Error in model stg_orders (models/staging/stg_orders.sql)", 40, "  ", "    ");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "  Runtime Error in model stg_orders");
  EXPECT_EQ(lines[1], "    (models/staging/stg_orders.sql)");
  for (const auto& l : wrap_words("Runtime Error in model stg_orders (models/staging/stg_orders.sql)", 30, "  ", "    ")) {
    EXPECT_LE(display_width(l), 30) << l;
  }
}

TEST(TextWidth, CutsAWordLongerThanALine) {
  const auto lines = wrap_words("a verylongwordthatdoesnotfit end", 10, "", "  ");
  for (const auto& l : lines) EXPECT_LE(display_width(l), 10) << l;
  std::string joined;
  for (const auto& l : lines) joined += l;
  EXPECT_NE(joined.find("verylong"), std::string::npos);
  EXPECT_EQ(lines.front(), "a");
  EXPECT_EQ(lines[1], "  verylong");  // the pieces fill each line
  EXPECT_EQ(lines.back(), "  it end");
}

TEST(TextWidth, NoWrappingWhenNotATerminal) {
  const auto lines = wrap_words("one two three", 0, "  ", "    ");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "  one two three");
}

// --- the status line -------------------------------------------------------------------------

TEST(StatusLine, ShowsPhaseNodesAndTimes) {
  StatusView v = running_view(1);
  EXPECT_EQ(render_status_line(v, 80), "running 3/12 · stg_orders 12s · 45s");
  v.running.push_back({"fct_x", 3});
  EXPECT_EQ(render_status_line(v, 80), "running 3/12 · stg_orders 12s, fct_x 3s · 45s");
}

TEST(StatusLine, NeverReachesTheLastColumn) {
  for (int columns : {80, 60, 40, 20, 12, 5, 2}) {
    for (int nodes : {0, 1, 2, 4, 9}) {
      const std::string line = render_status_line(running_view(nodes), columns);
      EXPECT_LE(display_width(line), columns - 1) << columns << " columns, " << nodes << " nodes: " << line;
    }
  }
}

TEST(StatusLine, At80ColumnsDropsNodesIntoACount) {
  const std::string line = render_status_line(running_view(4), 80);
  EXPECT_EQ(line.find("running 3/12 · stg_orders 12s"), 0u) << line;
  EXPECT_NE(line.find(" more"), std::string::npos) << line;
  EXPECT_NE(line.find("· 45s"), std::string::npos) << line;
}

TEST(StatusLine, At60ColumnsKeepsTheOldestNode) {
  const std::string line = render_status_line(running_view(3), 60);
  EXPECT_NE(line.find("stg_orders 12s"), std::string::npos) << line;
  EXPECT_NE(line.find("+2 more"), std::string::npos) << line;
  EXPECT_LE(display_width(line), 59);
}

TEST(StatusLine, At20ColumnsKeepsThePhase) {
  const std::string line = render_status_line(running_view(3), 20);
  EXPECT_EQ(line.rfind("running 3/12", 0), 0u) << line;
  EXPECT_LE(display_width(line), 19);
}

TEST(StatusLine, ShortensALongNodeName) {
  StatusView v = running_view(0);
  v.running.push_back({"a_model_with_a_name_far_longer_than_the_terminal_is_wide_at_all", 7});
  const std::string line = render_status_line(v, 50);
  EXPECT_NE(line.find("…"), std::string::npos) << line;
  EXPECT_NE(line.find(" 7s"), std::string::npos) << line;
  EXPECT_LE(display_width(line), 49);
}

TEST(StatusLine, WideCharactersInNodeNames) {
  StatusView v = running_view(0);
  v.running.push_back({"売上_日別_店舗別_モデル_とても長い名前です", 5});
  for (int columns : {80, 60, 40, 20}) {
    EXPECT_LE(display_width(render_status_line(v, columns)), columns - 1) << columns;
  }
}

TEST(StatusLine, Phases) {
  StatusView v;
  v.elapsed_seconds = 3;
  v.phase = "queued";
  v.queued_behind = "1f2e3d4c5b6a";
  EXPECT_EQ(render_status_line(v, 80), "queued behind run 1f2e3d4c5b6a · 3s");
  v.waiting_for = "run 1f2e3d4c5b6a (shop/nightly) to finish";
  EXPECT_EQ(render_status_line(v, 80), "queued, waiting for run 1f2e3d4c5b6a (shop/nightly) to finish · 3s");
  const std::string narrow = render_status_line(v, 40);
  EXPECT_LE(display_width(narrow), 39) << narrow;
  EXPECT_NE(narrow.find("· 3s"), std::string::npos) << narrow;
  v = {};
  v.phase = "starting";
  EXPECT_EQ(render_status_line(v, 80), "starting dbt");
  v.phase = "parsing";
  EXPECT_EQ(render_status_line(v, 80), "dbt is parsing the project");
  v.sqlmesh = true;  // a SQLMesh run names its own tool
  EXPECT_EQ(render_status_line(v, 80), "sqlmesh is loading the project");
  v.phase = "starting";
  EXPECT_EQ(render_status_line(v, 80), "starting sqlmesh");
  EXPECT_TRUE(status_view_from_run({{"status", "running"}, {"command", "sqlmesh run"}}, 0, "").sqlmesh);
  EXPECT_FALSE(status_view_from_run({{"status", "running"}, {"command", "dbt build"}}, 0, "").sqlmesh);
  v.sqlmesh = false;
  v.phase = "finishing";
  v.done = v.total = 12;
  v.elapsed_seconds = 75;
  EXPECT_EQ(render_status_line(v, 80), "finishing 12/12 · 1m15s");
}

TEST(StatusLine, ViewFromTheDaemonsProgress) {
  const json run = {{"status", "running"},
                    {"created_at", "2026-12-06T21:40:00Z"},
                    {"progress",
                     {{"phase", "running"},
                      {"done", 3},
                      {"total", 12},
                      {"running", {{{"unique_id", "model.shop.stg_orders"}, {"name", "stg_orders"},
                                    {"elapsed_seconds", 12.4}}}},
                      {"waiting_for", nullptr},
                      {"queued_behind", nullptr}}}};
  const StatusView v = status_view_from_run(run, 1.0, "2026-12-06T21:40:45Z");
  EXPECT_EQ(v.phase, "running");
  EXPECT_EQ(v.done, 3);
  EXPECT_EQ(v.total, 12);
  ASSERT_EQ(v.running.size(), 1u);
  EXPECT_EQ(v.running[0].name, "stg_orders");
  EXPECT_DOUBLE_EQ(v.running[0].elapsed_seconds, 13.4);
  ASSERT_TRUE(v.elapsed_seconds);
  EXPECT_DOUBLE_EQ(*v.elapsed_seconds, 45);
  EXPECT_EQ(render_status_line(v, 80), "running 3/12 · stg_orders 13s · 45s");
}

TEST(StatusLine, ViewWithoutPhasesFallsBackToTheStatus) {
  // A daemon that sends only {done, total}, or nothing.
  const json run = {{"status", "queued"}, {"created_at", "bad"}, {"duration_seconds", nullptr}};
  const StatusView v = status_view_from_run(run, 0, "2026-12-06T21:40:45Z");
  EXPECT_EQ(v.phase, "queued");
  EXPECT_FALSE(v.elapsed_seconds);
  EXPECT_EQ(render_status_line(v, 80), "queued");
  const StatusView old = status_view_from_run({{"status", "running"}, {"progress", {{"done", 1}, {"total", 2}}}}, 0, "");
  EXPECT_EQ(render_status_line(old, 80), "running 1/2");
  EXPECT_EQ(status_view_from_run(json::array(), 0, "").phase, "");
}

TEST(StatusLine, ShortDurations) {
  EXPECT_EQ(short_duration(0.4), "0s");
  EXPECT_EQ(short_duration(59.9), "59s");
  EXPECT_EQ(short_duration(65), "1m05s");
  EXPECT_EQ(short_duration(3725), "1h02m");
  EXPECT_EQ(short_duration(-3), "0s");
}

// --- dbt's node lines ------------------------------------------------------------------------

const char* kSeedLine =
    "02:15:19  4 of 30 OK loaded seed file main.stores ........................................ [INSERT 3 in 0.16s]";
const char* kTestLine =
    "02:15:21  17 of 30 PASS dbt_utils_accepted_range_store_daily_sales_revenue_with_a_long_name__0 .. [PASS in 0.05s]";

TEST(DbtLines, ParsesNodeLines) {
  const auto line = parse_node_line(kSeedLine);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->timestamp, "02:15:19");
  EXPECT_EQ(line->index, 4);
  EXPECT_EQ(line->total, 30);
  EXPECT_EQ(line->status, "OK");
  EXPECT_EQ(line->description, "loaded seed file main.stores");
  EXPECT_EQ(line->result, "[INSERT 3 in 0.16s]");
  EXPECT_EQ(plain_node_line(*line, 5), "[5/30] OK loaded seed file main.stores [INSERT 3 in 0.16s]");
  const auto start = parse_node_line("02:15:19  2 of 30 START python table model main.calendar ...... [RUN]");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->status, "START");
  EXPECT_EQ(started_node_name(*start), "calendar");
  EXPECT_FALSE(parse_node_line("02:15:18  Found 7 models, 3 seeds, 20 data tests"));
  EXPECT_FALSE(parse_node_line("Done. PASS=30 WARN=0 ERROR=0 SKIP=0 TOTAL=30"));
}

TEST(DbtLines, FitsTheTerminal) {
  for (const char* text : {kSeedLine, kTestLine}) {
    const auto line = parse_node_line(text);
    ASSERT_TRUE(line);
    for (int columns : {120, 80, 60, 40, 20}) {
      const std::string shown = terminal_node_line(*line, columns, false);
      EXPECT_LE(display_width(shown), columns - 1) << columns << ": " << shown;
      EXPECT_EQ(shown.find('\033'), std::string::npos);
    }
    // Wide enough: the result stays whole at the end.
    const std::string at60 = terminal_node_line(*line, 60, false);
    EXPECT_EQ(at60.substr(at60.size() - line->result.size()), line->result) << at60;
  }
  // 120 columns: dbt's own look, dots up to about 80 columns after the clock.
  const std::string wide = terminal_node_line(*parse_node_line(kSeedLine), 120, false);
  EXPECT_EQ(wide.rfind("02:15:19  4 of 30 OK loaded seed file main.stores ...", 0), 0u) << wide;
  EXPECT_EQ(display_width(wide), 90) << wide;
}

TEST(DbtLines, ColoursTheStatus) {
  const auto ok = terminal_node_line(*parse_node_line(kSeedLine), 80, true);
  EXPECT_NE(ok.find("\033[32mOK\033[0m"), std::string::npos) << ok;
  EXPECT_LE(display_width(ok), 79);
  const auto error = parse_node_line("02:15:19  5 of 30 ERROR creating sql table model main.fct_sales .... [ERROR in 0.05s]");
  ASSERT_TRUE(error);
  EXPECT_NE(terminal_node_line(*error, 80, true).find("\033[31mERROR\033[0m"), std::string::npos);
  EXPECT_EQ(status_colour("WARN"), "\033[33m");
}

// --- the summary ---------------------------------------------------------------------------

const json kFailedRun = {{"id", "0123456789abcdef0123456789abcdef"},
                         {"job_name", "default-manual-20261206-214000"},
                         {"status", "partial"},
                         {"duration_seconds", 12.5},
                         {"results", {{"error", 1}, {"success", 9}}},
                         {"error_message", "1 node failed"},
                         {"nothing_selected", false}};
const json kNodeResults = json::array(
    {{{"unique_id", "model.shop.stg_sales"}, {"status", "success"}, {"message", "OK"}},
     {{"unique_id", "model.shop.fct_sales"},
      {"status", "error"},
      {"message", "Runtime Error in model fct_sales (models/marts/fct_sales.sql)\n  Catalog Error: Table with name "
                  "stg_salez does not exist!\n  Did you mean \"stg_sales\"?\n\n  LINE 1: select * from stg_salez\n  more\n"}}});

TEST(RunSummary, ListsEachFailedNodeWithItsError) {
  const auto lines = run_summary_lines(kFailedRun, kNodeResults, {});
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[0], "default-manual-20261206-214000 partial in 12.5s (1 error, 9 success)");
  EXPECT_EQ(lines[1], "  error model.shop.fct_sales: Runtime Error in model fct_sales (models/marts/fct_sales.sql)");
  EXPECT_EQ(lines[2], "    Catalog Error: Table with name stg_salez does not exist!");
  EXPECT_EQ(lines[3], "    Did you mean \"stg_sales\"?");
  EXPECT_EQ(lines[4], "    LINE 1: select * from stg_salez");
  EXPECT_EQ(lines.back(), "  run 0123456789abcdef0123456789abcdef; output: dagctl logs 0123456789ab");
}

TEST(RunSummary, WrapsWithinTheWidth) {
  for (int columns : {80, 60, 40}) {
    for (const auto& line : run_summary_lines(kFailedRun, kNodeResults, {columns, true})) {
      EXPECT_LE(display_width(line), columns - 1) << columns << ": " << line;
    }
  }
  // Cut at spaces only: every word of the first error line is whole somewhere.
  std::string all;
  for (const auto& line : run_summary_lines(kFailedRun, kNodeResults, {40, false})) all += line + "\n";
  EXPECT_NE(all.find("(models/marts/fct_sales.sql)"), std::string::npos) << all;
}

TEST(RunSummary, SaysNothingSelectedAndFallsBackToTheErrorMessage) {
  json run = kFailedRun;
  run["status"] = "success";
  run["nothing_selected"] = true;
  run["error_message"] = nullptr;
  std::string all;
  for (const auto& line : run_summary_lines(run, nullptr, {})) all += line + "\n";
  EXPECT_NE(all.find("nothing selected"), std::string::npos) << all;
  run["status"] = "error";
  run["nothing_selected"] = nullptr;
  run["error_message"] = "dbt exited with code 2: Could not find profile named 'x'";
  all.clear();
  for (const auto& line : run_summary_lines(run, nullptr, {})) all += line + "\n";
  EXPECT_NE(all.find("  dbt exited with code 2: Could not find profile"), std::string::npos) << all;
  EXPECT_EQ(all.find("nothing selected"), std::string::npos) << all;
}

// --- the display, on a simulated terminal --------------------------------------------------

// What a terminal shows for `output`: "\r\033[K" clears the cursor's row, "\n" ends it.
// Returns the finished rows and, last, the row the cursor is on.
std::vector<std::string> terminal_rows(const std::string& output) {
  std::vector<std::string> rows;
  std::string row;
  for (size_t i = 0; i < output.size(); ++i) {
    if (output.compare(i, 4, "\r\033[K") == 0) {
      row.clear();
      i += 3;
    } else if (output[i] == '\n') {
      rows.push_back(row);
      row.clear();
    } else {
      row += output[i];
    }
  }
  rows.push_back(row);
  return rows;
}

std::string display_output(DisplayOptions options, const std::vector<std::string>& chunks) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    WatchDisplay display(options, out);
    display.set_run({{"status", "running"},
                     {"progress",
                      {{"phase", "running"},
                       {"done", 0},
                       {"total", 30},
                       {"running", {{{"name", "stg_orders"}, {"elapsed_seconds", 3}},
                                    {{"name", "a_very_long_model_name_that_takes_room"}, {"elapsed_seconds", 1}}}}}}});
    display.tick();
    for (const auto& chunk : chunks) {
      display.feed(chunk);
      display.tick();
    }
    display.finish();
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(WatchDisplay, OnATerminalNoRowIsWiderAndNoStatusLineIsLeft) {
  DisplayOptions options;
  options.terminal = true;
  options.colour = true;
  options.columns = 40;
  const std::string output = display_output(
      options, {"02:15:19  1 of 30 START sql view model main.stg_orders ...... [RUN]\n", std::string(kSeedLine) + "\n",
                std::string(kTestLine).substr(0, 30), std::string(kTestLine).substr(30) + "\n"});
  const auto rows = terminal_rows(output);
  ASSERT_EQ(rows.size(), 3u) << output;  // two node lines, then the cleared status row
  for (const auto& row : rows) EXPECT_LE(display_width(row), 39) << row;
  EXPECT_NE(rows[0].find("4 of 30"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find("17 of 30"), std::string::npos) << rows[1];
  EXPECT_EQ(rows[2], "");
  EXPECT_NE(output.find("running 0/30 · stg_orders"), std::string::npos) << output;
}

TEST(WatchDisplay, PipedPrintsPlainLinesOnly) {
  DisplayOptions options;  // not a terminal
  const std::string output =
      display_output(options, {"02:15:18  Found 7 models\n02:15:19  1 of 30 START x .... [RUN]\n", std::string(kSeedLine) + "\n"});
  EXPECT_EQ(output, "[1/30] OK loaded seed file main.stores [INSERT 3 in 0.16s]\n");
}

TEST(WatchDisplay, WholeLogOnATerminalKeepsEveryLineAboveTheStatus) {
  DisplayOptions options;
  options.terminal = true;
  options.whole_log = true;
  options.columns = 60;
  const auto rows = terminal_rows(display_output(options, {"Running with dbt=1.9\n", std::string(kSeedLine) + "\n", "Done."}));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], "Running with dbt=1.9");
  EXPECT_EQ(rows[1], kSeedLine);  // dbt's own line, whole: printed before the status line is drawn again
  EXPECT_EQ(rows[2], "Done.");    // the unfinished last line, at the end
  EXPECT_EQ(rows[3], "");
}

}  // namespace
