// A minimal JSON value for safetensors headers, config.json and reports.
//
// Numbers are doubles (as in JavaScript), so integers are exact up to 2^53. Objects keep their
// keys in insertion order, so a dumped file reads in the order it was built; keys are unique
// (Parse rejects a duplicate, Set replaces the value in place).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace latent {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool value) : type_(Type::kBool), bool_(value) {}
  // Any arithmetic type but bool becomes a number (int, int64_t, size_t, float, double).
  template <typename T,
            std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T value) : type_(Type::kNumber), number_(static_cast<double>(value)) {}
  Json(const char* value) : type_(Type::kString), string_(value) {}
  Json(std::string value) : type_(Type::kString), string_(std::move(value)) {}
  Json(Array values) : type_(Type::kArray), array_(std::move(values)) {}
  static Json MakeObject();

  // Parses a complete JSON text. Throws latent::Error giving the line, column and what was
  // expected there.
  static Json Parse(const std::string& text);
  // indent < 0: one line, no spaces. indent >= 0: one element per line, nested by `indent`
  // spaces. Numbers print in the shortest form that reads back to the same double; NaN and
  // infinities, which JSON cannot express, print as null.
  std::string Dump(int indent = -1) const;

  Type type() const { return type_; }

  // Typed access; each throws latent::Error naming the expected and the actual type.
  bool AsBool() const;
  double AsNumber() const;
  int64_t AsInt64() const;  // also throws if the number is not an exact integer
  const std::string& AsString() const;
  const Array& AsArray() const;
  const Object& AsObject() const;

  // Object access. At throws latent::Error listing the keys present when `key` is missing.
  bool Contains(const std::string& key) const;
  const Json& At(const std::string& key) const;
  Json& At(const std::string& key);
  void Set(const std::string& key, Json value);  // replaces in place or appends

  void Push(Json value);  // appends to an array

 private:
  const Json& Expect(Type type) const;             // *this, or throws naming both types
  const Json* Find(const std::string& key) const;  // nullptr when missing
  void DumpTo(std::string& out, int indent, int depth) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  Array array_;
  Object object_;
};

}  // namespace latent
