//===- Json.h - a strict JSON reader for manifests and tokenizers -*- C++ -*-===//
//
// The runtime cannot use llvm::json, so it carries this reader: RFC 8259,
// object member order kept, errors with line and column, nesting bounded so
// that hostile input cannot exhaust the stack.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_JSON_H
#define TERN_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tern::rt::json {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;

struct Number {
  double value = 0;
  int64_t integer = 0;
  bool isInteger = false; // written without fraction or exponent and fits int64
};

class Value {
public:
  Value() = default;
  explicit Value(bool b) : data_(b) {}
  explicit Value(Number n) : data_(n) {}
  explicit Value(std::string s) : data_(std::move(s)) {}
  explicit Value(Array a) : data_(std::move(a)) {}
  explicit Value(Object o) : data_(std::move(o)) {}

  bool isNull() const { return std::holds_alternative<std::monostate>(data_); }
  bool isBool() const { return std::holds_alternative<bool>(data_); }
  bool isNumber() const { return std::holds_alternative<Number>(data_); }
  bool isInteger() const { return isNumber() && std::get<Number>(data_).isInteger; }
  bool isString() const { return std::holds_alternative<std::string>(data_); }
  bool isArray() const { return std::holds_alternative<Array>(data_); }
  bool isObject() const { return std::holds_alternative<Object>(data_); }

  bool asBool() const { return std::get<bool>(data_); }
  double asDouble() const { return std::get<Number>(data_).value; }
  int64_t asInt() const { return std::get<Number>(data_).integer; }
  const std::string &asString() const { return std::get<std::string>(data_); }
  const Array &asArray() const { return std::get<Array>(data_); }
  const Object &asObject() const { return std::get<Object>(data_); }

  /// The member named `key` of an object, or null when absent or not an object.
  const Value *find(std::string_view key) const;
  /// Human name of the kind, for messages ("string", "object", ...).
  const char *kindName() const;

private:
  std::variant<std::monostate, bool, Number, std::string, Array, Object> data_;
};

/// Parses `text` into `out`. On failure returns false and sets `error` to
/// "line L, column C: what was wrong".
bool parse(std::string_view text, Value &out, std::string &error);

} // namespace tern::rt::json

#endif // TERN_RUNTIME_JSON_H
