// One SQL statement of a store, on either engine (docs/scale-out.md#the-store). The stores
// bind by index (`?`, `?N`) or by name (`:name`), step through rows and read columns by name;
// the names follow SQLiteCpp's, which the stores were first written against.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dagctl::daemon::store {

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

// A column of the current row, copied out of it. PostgreSQL sends text; SQLite typed values:
// the getters convert either way, and throw when a value cannot be what is asked.
class Column {
public:
  explicit Column(Value value) : value_(std::move(value)) {}
  bool isNull() const { return std::holds_alternative<std::monostate>(value_); }
  std::int64_t getInt64() const;
  int getInt() const { return static_cast<int>(getInt64()); }
  double getDouble() const;
  std::string getString() const;

private:
  Value value_;
};

// What an engine does with one prepared statement.
class StatementEngine {
public:
  virtual ~StatementEngine() = default;
  virtual int parameter_index(const std::string& name) = 0;  // 0: no such parameter
  // Runs the statement with `parameters` ($1 first); rows are then read with next_row().
  virtual void execute(const std::vector<Value>& parameters) = 0;
  virtual bool next_row() = 0;
  virtual Value column(int index) = 0;
  virtual Value column(const char* name) = 0;
  virtual int changes() = 0;  // rows the last execute changed
  virtual void reset() noexcept = 0;
};

class Statement {
public:
  explicit Statement(std::unique_ptr<StatementEngine> engine) : engine_(std::move(engine)) {}

  void bind(int index, std::int64_t value) { set(index, value); }
  void bind(int index, int value) { set(index, std::int64_t{value}); }
  void bind(int index, long long value) { set(index, static_cast<std::int64_t>(value)); }
  void bind(int index, unsigned value) { set(index, std::int64_t{value}); }
  void bind(int index, double value) { set(index, value); }
  void bind(int index, const std::string& value) { set(index, value); }
  void bind(int index, const char* value) { set(index, std::string(value)); }
  void bind(int index) { set(index, std::monostate{}); }  // NULL
  template <typename... T>
  void bind(const char* name, T&&... value) {
    bind(named(name), std::forward<T>(value)...);
  }
  template <typename... T>
  void bind(const std::string& name, T&&... value) {
    bind(named(name), std::forward<T>(value)...);
  }

  // The next row; false at the end. The first call runs the statement.
  bool executeStep();
  // Runs a statement that returns no rows; the number of rows it changed.
  int exec();
  Column getColumn(int index) { return Column(engine_->column(index)); }
  Column getColumn(const char* name) { return Column(engine_->column(name)); }
  Column getColumn(const std::string& name) { return getColumn(name.c_str()); }
  // Ready to run again; the bindings stay until clearBindings().
  void reset() noexcept {
    engine_->reset();
    started_ = false;
  }
  void clearBindings() { parameters_.clear(); }

private:
  int named(const std::string& name);
  void set(int index, Value value);

  std::unique_ptr<StatementEngine> engine_;
  std::vector<Value> parameters_;
  bool started_ = false;
};

}  // namespace dagctl::daemon::store
