// What every command gets: where the daemon is and how to print.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/client.hpp"
#include "common/time.hpp"

namespace dagctl::cli {

struct Context {
  std::string socket;
  std::string output = "text";  // or "json"
  std::string color = "auto";   // --color: auto, always or never (docs/cli.md)
  int exit_code = 0;

  bool json() const { return output == "json"; }
  Client client() const { return Client(socket); }
};

// One JSON document on stdout (the -o json contract).
void print_json(const nlohmann::json& value);

// Tables (docs/cli.md): left-aligned columns two spaces apart; the first row is the header.
// On a terminal the table is fitted to its width by cutting the `elastic` columns (by
// index), widest first, each value cut ending in "…"; piped, nothing is cut.
void print_table(const std::vector<std::vector<std::string>>& rows, const std::vector<size_t>& elastic = {});
// The lines print_table prints, for a given width (nullopt: unbounded).
std::vector<std::string> fit_table(const std::vector<std::vector<std::string>>& rows,
                                   const std::vector<size_t>& elastic, std::optional<size_t> width);
// stdout's width in columns when it is a terminal; nullopt when piped.
std::optional<size_t> terminal_width();

// The daemon's JSON, read without undefined behaviour: operator[] on a const json with a
// missing key is UB, so every read of an answer goes through these. A missing key (or a
// value that is not an object) reads as null.
const nlohmann::json& field(const nlohmann::json& object, std::string_view key);
// text_of(field(object, key)).
std::string text_field(const nlohmann::json& object, std::string_view key);
// "-" for null, the string itself for strings, compact JSON otherwise.
std::string text_of(const nlohmann::json& value);
// 75.3 -> "1m15s"; null -> "-".
std::string format_duration(const nlohmann::json& seconds);
// 12345 -> "12.1 KiB"; under 1 KiB in bytes ("512 B").
std::string format_size(std::uint64_t bytes);
// An RFC 3339 time for a table: "45s ago", "12m ago", "3h ago" within a day; this
// machine's local time after that ("Dec 04 14:02"; "2025-06-01" beyond half a year).
// Anything unreadable is shown as given.
std::string format_when(const nlohmann::json& rfc3339, common::TimePoint now);
// The job a run belongs to as a table names it: the job's name now, or for a deleted job
// the name the run was given ("nightly-manual-20261206-101010" -> "nightly (deleted)").
std::string run_job_label(const nlohmann::json& run);
// The first 12 characters of a run id: what tables show; any unique prefix of 6 or more
// characters names the run (resolve.hpp).
std::string short_id(const std::string& id);

}  // namespace dagctl::cli
