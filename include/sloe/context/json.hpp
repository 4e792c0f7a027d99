#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

namespace sloe {

/// sloe's JSON value, nlohmann's: build one when the shape is dynamic, then `c.json(200, value)`.
using json = nlohmann::json;

class JsonField;

/// The fields of a JSON object, written straight into the response body without building a
/// tree (Gin's `gin.H`). A braced list of `{key, value}` pairs picks it:
///
///     c.json(200, {{"message", "pong"}, {"count", 3}, {"user", {{"id", c.param("id")}}}});
///
/// Values are null (`nullptr`), bools, numbers, strings, nested field lists, and anything
/// sloe::json can hold (a `sloe::json`, a `std::vector`, a type with `to_json`; those are
/// serialized by nlohmann). The output is byte for byte what nlohmann would write for the same
/// list: keys sorted, the first of duplicate keys kept, invalid UTF-8 replaced by U+FFFD. Two
/// differences: an empty `{}` is an empty object (nlohmann makes it null; write `nullptr`), and
/// a list with an array in braces (`{"tags", {"a", "b"}}`) is not a JsonFields at all: it is
/// built as a sloe::json, which serializes the same but allocates.
///
/// Like every std::initializer_list it borrows its values: use it within one call.
using JsonFields = std::initializer_list<JsonField>;

/// One `{key, value}` pair of a JsonFields list.
class JsonField {
 public:
  template <class Value>
  requires std::constructible_from<sloe::json, const Value&> JsonField(std::string_view key,
                                                                       const Value& value)
      : key_(key), value_(stored(value)) {}
  JsonField(std::string_view key, JsonFields object) : key_(key), value_(object) {}

  /// What the writer reads; `sloe::json` holds a value of any other type nlohmann can convert.
  using Stored = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double,
                              std::string_view, JsonFields, const sloe::json*, sloe::json>;

  std::string_view key() const { return key_; }
  const Stored& value() const { return value_; }

 private:
  template <class Value>
  static Stored stored(const Value& value) {
    if constexpr (std::is_same_v<Value, std::nullptr_t>) {
      return nullptr;
    } else if constexpr (std::is_same_v<Value, bool>) {
      return value;
    } else if constexpr (std::is_integral_v<Value> && std::is_signed_v<Value>) {
      return static_cast<std::int64_t>(value);
    } else if constexpr (std::is_integral_v<Value>) {
      return static_cast<std::uint64_t>(value);
    } else if constexpr (std::is_floating_point_v<Value>) {
      return static_cast<double>(value);
    } else if constexpr (std::is_same_v<Value, sloe::json>) {
      return &value;
    } else if constexpr (std::is_pointer_v<Value> &&
                         std::is_convertible_v<const Value&, std::string_view>) {
      if (value == nullptr) return nullptr;
      return std::string_view(value);
    } else if constexpr (std::is_convertible_v<const Value&, std::string_view>) {
      return std::string_view(value);
    } else {
      return sloe::json(value);
    }
  }

  std::string_view key_;
  Stored value_;
};

}  // namespace sloe
