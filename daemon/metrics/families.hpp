// Counters and histograms kept in memory, by label values, with a cap on how many label
// sets (series) each family holds (docs/metrics.md, Cardinality): a new label set beyond
// the cap is not recorded, and counted as dropped instead. Each family has one mutex; an
// increment is a map lookup under it, nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/metrics/exposition.hpp"

namespace dagctl::daemon::metrics {

class CounterFamily {
public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names, size_t max_series);
  // `values` in the order of the label names. False when the series was dropped.
  bool inc(const std::vector<std::string>& values, double by = 1);
  void write(TextWriter& out) const;
  std::uint64_t dropped() const;
  const std::string& name() const { return name_; }

private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const size_t max_series_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, double> series_;
  std::uint64_t dropped_ = 0;
};

class HistogramFamily {
public:
  // `bounds`: the buckets' upper bounds, increasing; +Inf is added.
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds, size_t max_series);
  bool observe(const std::vector<std::string>& values, double value);
  void write(TextWriter& out) const;
  std::uint64_t dropped() const;
  const std::string& name() const { return name_; }
  const std::vector<double>& bounds() const { return bounds_; }

private:
  struct Series {
    std::vector<std::uint64_t> buckets;  // per bound, not cumulative; the last is +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  const size_t max_series_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, Series> series_;
  std::uint64_t dropped_ = 0;
};

}  // namespace dagctl::daemon::metrics
