#include "daemon/store/statement.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace dagctl::daemon::store {

std::int64_t Column::getInt64() const {
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return *i;
  if (const auto* d = std::get_if<double>(&value_)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&value_)) {
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
    if (*s == "t") return 1;  // a PostgreSQL boolean
    if (*s == "f") return 0;
    char* stop = nullptr;
    const double d = std::strtod(s->c_str(), &stop);  // numeric: sum() and avg()
    if (!s->empty() && stop == s->c_str() + s->size()) return static_cast<std::int64_t>(d);
    throw std::runtime_error("the store read '" + s->substr(0, 40) + "' where a number belongs");
  }
  return 0;  // NULL, as SQLite reads it
}

double Column::getDouble() const {
  if (const auto* d = std::get_if<double>(&value_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&value_)) {
    char* stop = nullptr;
    const double d = std::strtod(s->c_str(), &stop);
    if (!s->empty() && stop == s->c_str() + s->size()) return d;
    throw std::runtime_error("the store read '" + s->substr(0, 40) + "' where a number belongs");
  }
  return 0.0;
}

std::string Column::getString() const {
  if (const auto* s = std::get_if<std::string>(&value_)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value_)) return fmt::format("{}", *d);
  return "";
}

int Statement::named(const std::string& name) {
  const int index = engine_->parameter_index(name);
  if (index <= 0) throw std::logic_error("the statement has no parameter " + name);
  return index;
}

void Statement::set(int index, Value value) {
  if (index <= 0 || index > 999) throw std::logic_error("parameter index out of range");
  if (parameters_.size() < static_cast<std::size_t>(index)) parameters_.resize(static_cast<std::size_t>(index));
  parameters_[static_cast<std::size_t>(index - 1)] = std::move(value);
}

bool Statement::executeStep() {
  if (!started_) {
    engine_->execute(parameters_);
    started_ = true;
  }
  return engine_->next_row();
}

int Statement::exec() {
  engine_->reset();
  engine_->execute(parameters_);
  while (engine_->next_row()) {
  }
  started_ = true;
  return engine_->changes();
}

}  // namespace dagctl::daemon::store
