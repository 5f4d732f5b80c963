#include "daemon/metrics/families.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace dagctl::daemon::metrics {

namespace {

Labels labels_of(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels out;
  out.reserve(names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

void check_values(const std::string& family, const std::vector<std::string>& names,
                  const std::vector<std::string>& values) {
  if (values.size() != names.size()) throw std::logic_error(family + ": wrong number of label values");
}

}  // namespace

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> label_names,
                             size_t max_series)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), max_series_(max_series) {}

bool CounterFamily::inc(const std::vector<std::string>& values, double by) {
  check_values(name_, label_names_, values);
  std::lock_guard lock(mutex_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    if (series_.size() >= max_series_) {
      ++dropped_;
      return false;
    }
    it = series_.emplace(values, 0.0).first;
  }
  it->second += by;
  return true;
}

void CounterFamily::write(TextWriter& out) const {
  out.family(name_, help_, Type::counter);
  std::lock_guard lock(mutex_);
  for (const auto& [values, value] : series_) out.sample(name_, labels_of(label_names_, values), value);
}

std::uint64_t CounterFamily::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds, size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)),
      max_series_(max_series) {
  if (bounds_.empty() || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::logic_error(name_ + ": bucket bounds must increase");
  }
}

bool HistogramFamily::observe(const std::vector<std::string>& values, double value) {
  check_values(name_, label_names_, values);
  // The first bucket whose upper bound holds the value (le: less than or equal).
  const size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mutex_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    if (series_.size() >= max_series_) {
      ++dropped_;
      return false;
    }
    it = series_.emplace(values, Series{std::vector<std::uint64_t>(bounds_.size() + 1, 0), 0, 0}).first;
  }
  ++it->second.buckets[bucket];
  it->second.sum += value;
  ++it->second.count;
  return true;
}

void HistogramFamily::write(TextWriter& out) const {
  out.family(name_, help_, Type::histogram);
  const std::string bucket_name = name_ + "_bucket";
  std::lock_guard lock(mutex_);
  for (const auto& [values, s] : series_) {
    Labels labels = labels_of(label_names_, values);
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      labels.emplace_back("le", i < bounds_.size() ? format_value(bounds_[i]) : "+Inf");
      out.sample(bucket_name, labels, static_cast<double>(cumulative));
      labels.pop_back();
    }
    out.sample(name_ + "_sum", labels, s.sum);
    out.sample(name_ + "_count", labels, static_cast<double>(s.count));
  }
}

std::uint64_t HistogramFamily::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace dagctl::daemon::metrics
