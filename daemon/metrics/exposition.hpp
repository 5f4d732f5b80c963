// The Prometheus text exposition format, version 0.0.4 (docs/metrics.md): one family's
// HELP and TYPE lines, then its samples. Label values and HELP text are escaped as the
// format says (backslash, double quote in label values, newline); numbers are written so
// Prometheus reads them back exactly (+Inf, NaN).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dagctl::daemon::metrics {

// The Content-Type of a scrape's answer.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label name and value pairs, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { counter, gauge, histogram };

// A label value as written between double quotes: \ " and newline escaped.
std::string escape_label_value(std::string_view value);
// HELP text: \ and newline escaped (quotes stay).
std::string escape_help(std::string_view text);
// A sample value: integers without a fraction, +Inf, -Inf, NaN, others shortest exact.
std::string format_value(double value);
// A metric or label name is [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no ':').
bool is_metric_name(std::string_view name);
bool is_label_name(std::string_view name);

class TextWriter {
public:
  // Starts a family: its HELP and TYPE lines. Throws std::logic_error for a bad name or a
  // family written twice (Prometheus refuses both).
  void family(const std::string& name, const std::string& help, Type type);
  // One sample of the current family; `name` is the family's, or with _bucket, _sum, _count
  // for a histogram.
  void sample(std::string_view name, const Labels& labels, double value);
  const std::string& text() const { return out_; }

private:
  std::string out_;
  std::vector<std::string> families_;
};

}  // namespace dagctl::daemon::metrics
