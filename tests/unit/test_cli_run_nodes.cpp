// Tests for cli/run_nodes: `dagctl run show --nodes`'s table fitted to 80 and 60 columns,
// messages cut to their first line, and the node counts and slowest nodes of `run show`
// (docs/cli.md, Run details).
#include "cli/run_nodes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/text_width.hpp"

namespace {

using nlohmann::json;
namespace cli = dagctl::cli;

json node(const std::string& name, const std::string& status, json seconds, json thread, json message) {
  return {{"unique_id", "model.shop." + name}, {"name", name},       {"resource_type", "model"},
          {"status", status},                  {"execution_time", seconds}, {"thread", thread},
          {"message", message},                {"started_at", nullptr},     {"finished_at", nullptr}};
}

// GET /runs/{id}/nodes as the daemon answers it (docs/api.md, Nodes).
json answer() {
  return {{"run_id", "7490eda2-674d-4ffa-972a-75f38dfcff6e"},
          {"nodes",
           json::array({node("stg_books", "success", 0.52, "Thread-1", "CREATE TABLE (8.0 rows, 0 processed)"),
                        node("fct_sales_by_customer_and_month_with_a_very_long_name", "error", 1.26, "Thread-2",
                             "\n  Runtime Error in model fct_sales (models/fct_sales.sql)\n  Binder Error: column "
                             "\"amount\" not found in table \"orders\" (did you mean \"amounts\"?)\n"),
                        node("dim_customers", "skipped", nullptr, nullptr, nullptr)})}};
}

TEST(CliRunNodes, TheFirstLineOfAMessageIsItsFirstNonBlankLineTrimmed) {
  EXPECT_EQ(cli::first_message_line("OK"), "OK");
  EXPECT_EQ(cli::first_message_line("\n \r\n  Database Error in model x (models/x.sql)\n  detail"), "detail");
  EXPECT_EQ(cli::first_message_line("Runtime Error in model x (models/x.sql)"), "Runtime Error in model x (models/x.sql)");
  EXPECT_EQ(cli::first_message_line("Compilation Error (models/x.sql)\n  more"), "Compilation Error (models/x.sql)");
  EXPECT_EQ(cli::first_message_line("   \n\n"), "");
  EXPECT_EQ(cli::first_message_line(nullptr), "");
  EXPECT_EQ(cli::first_message_line(3), "");
}

TEST(CliRunNodes, UnboundedTheTableKeepsWholeValuesInTheApisOrder) {
  const auto lines = cli::node_table(answer(), std::nullopt);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("STATUS   NODE", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("DURATION  THREAD    MESSAGE"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("success  stg_books ", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("0.5s      Thread-1  CREATE TABLE (8.0 rows, 0 processed)"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("fct_sales_by_customer_and_month_with_a_very_long_name"), std::string::npos);
  EXPECT_NE(lines[2].find("1.3s"), std::string::npos) << lines[2];
  // One line: dbt's heading (the NODE column says it) gives way to the cause after it.
  EXPECT_NE(lines[2].find("Binder Error: column \"amount\" not found"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[2].find("Runtime Error in"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[3].rfind("skipped  dim_customers", 0), 0u) << lines[3];
  for (const auto& l : lines) EXPECT_EQ(l.find('\n'), std::string::npos);
}

TEST(CliRunNodes, At80ColumnsNameAndMessageGiveWayAndTheRestStays) {
  const auto lines = cli::node_table(answer(), 80);
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& l : lines) EXPECT_LE(cli::display_width(l), 80) << l;
  EXPECT_EQ(lines[2].rfind("error    fct_sales_by_", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find("1.3s"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("Thread-2"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("Binder Error: "), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("…"), std::string::npos) << lines[2];
}

TEST(CliRunNodes, At60ColumnsEveryLineFitsAndStatusDurationThreadStayWhole) {
  const auto lines = cli::node_table(answer(), 60);
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& l : lines) EXPECT_LE(cli::display_width(l), 60) << l;
  EXPECT_EQ(lines[2].rfind("error    fct_", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find("1.3s      Thread-2  Binder"), std::string::npos) << lines[2];
  EXPECT_NE(lines[1].find("0.5s      Thread-1  CREATE"), std::string::npos) << lines[1];
}

TEST(CliRunNodes, At80ColumnsTheMessageKeepsItsRoomBeforeTheNameDoes) {
  // As dbt names things: "Thread-1 (worker)", a long first line of an error (no heading).
  json a = {{"run_id", "r"},
            {"nodes", json::array({node("stg_books", "success", 0.2, "Thread-1 (worker)", "OK"),
                                   node("fct_sales_with_a_long_name", "error", 0.4, "Thread-2 (worker)",
                                        "Binder Error: Values list \"s\" does not have a column named \"book_ref\" (x.sql)")})}};
  const auto lines = cli::node_table(a, 80);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) EXPECT_LE(cli::display_width(l), 80) << l;
  EXPECT_EQ(lines[0].find("(worker)"), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("0.4s      Thread-2  Binder Error: Values list"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("fct_sales_with_…"), std::string::npos) << lines[2];  // 16 columns of the name
  // Wide enough: nothing is cut.
  const auto wide = cli::node_table(a, 200);
  EXPECT_NE(wide[2].find("fct_sales_with_a_long_name"), std::string::npos) << wide[2];
  EXPECT_NE(wide[2].find("named \"book_ref\" (x.sql)"), std::string::npos) << wide[2];
}

TEST(CliRunNodes, WithoutThreadsThereIsNoThreadColumn) {
  json a = {{"run_id", "r"}, {"nodes", json::array({node("stg_books", "running", nullptr, nullptr, nullptr)})}};
  const auto lines = cli::node_table(a, 80);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find("THREAD"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("running  stg_books  -", 0), 0u) << lines[1];
}

TEST(CliRunNodes, NoNodesNoLines) {
  EXPECT_TRUE(cli::node_table({{"run_id", "r"}, {"nodes", json::array()}}, 80).empty());
  EXPECT_TRUE(cli::node_table(json::object(), 80).empty());
  EXPECT_TRUE(cli::node_table(nullptr, std::nullopt).empty());
}

TEST(CliRunNodes, RunShowSummarisesCountsAndTheSlowestNodes) {
  const json run = {{"id", "r"},
                    {"node_counts", {{"skipped", 2}, {"error", 1}, {"success", 10}}},
                    {"slowest_nodes", json::array({{{"unique_id", "model.shop.fct_sales"}, {"name", "fct_sales"},
                                                    {"resource_type", "model"}, {"execution_time", 75.3}},
                                                   {{"unique_id", "model.shop.stg_books"}, {"name", "stg_books"},
                                                    {"resource_type", "model"}, {"execution_time", 2.04}}})}};
  const auto lines = cli::node_summary(run);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].first, "nodes");
  EXPECT_EQ(lines[0].second, "13 (10 success, 1 error, 2 skipped)");
  EXPECT_EQ(lines[1].first, "slowest");
  EXPECT_EQ(lines[1].second, "fct_sales 1m15s, stg_books 2.0s");
  // In a narrow terminal, the slowest that fit (at least one); never wider than asked.
  EXPECT_EQ(cli::node_summary(run, 24)[1].second, "fct_sales 1m15s");
  EXPECT_EQ(cli::node_summary(run, 5)[1].second, "fct_sales 1m15s");
  EXPECT_EQ(cli::node_summary(run, 31)[1].second, "fct_sales 1m15s, stg_books 2.0s");
}

TEST(CliRunNodes, AnOlderDaemonOrARunWithoutNodesAddsNothing) {
  EXPECT_TRUE(cli::node_summary({{"id", "r"}, {"status", "success"}}).empty());
  EXPECT_TRUE(cli::node_summary({{"node_counts", json::object()}, {"slowest_nodes", json::array()}}).empty());
  // A status this CLI does not know yet is still counted, after the known ones.
  const auto lines = cli::node_summary({{"node_counts", {{"zapped", 1}, {"success", 2}}}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].second, "3 (2 success, 1 zapped)");
}

TEST(CliRunNodes, SizesReadAsPeopleWriteThem) {
  EXPECT_EQ(cli::format_size(0), "0 B");
  EXPECT_EQ(cli::format_size(1023), "1023 B");
  EXPECT_EQ(cli::format_size(12345), "12.1 KiB");
  EXPECT_EQ(cli::format_size(5u * 1024 * 1024 + 1), "5.0 MiB");
  EXPECT_EQ(cli::format_size(3ull * 1024 * 1024 * 1024), "3.0 GiB");
}

}  // namespace
