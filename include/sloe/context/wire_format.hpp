#pragma once
// sloe::WireFormat: a ContextCopy as versioned JSON, to hand a request's snapshot to another
// process (a job broker) and rebuild it there with the same accessors.

#include <any>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>  // std::in_range
#include <vector>

#include "sloe/async/scope.hpp"
#include "sloe/context/context_copy.hpp"
#include "sloe/context/json.hpp"

namespace sloe {

/// Thrown when a ContextCopy cannot be written to its wire form (a key of the wrong type, a
/// body over the cap) or read from it (not JSON, an unknown version, a field of the wrong
/// shape). The message names the field and what is wrong with it.
class WireFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
/// `value` as T; an integer key must hold an integer that fits T (nlohmann would cast a float or a
/// wider number silently, or with undefined behaviour).
template <class T>
T wire_key_value(const json& value) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!value.is_number_integer()) throw WireFormatError("not an integer");
    const bool fits = value.is_number_unsigned() ? value.get<std::uint64_t>() <=
                                                       std::uint64_t(std::numeric_limits<T>::max())
                                                 : std::in_range<T>(value.get<std::int64_t>());
    if (!fits) throw WireFormatError("out of range");
  }
  return value.get<T>();
}
}  // namespace detail

/// What of a ContextCopy travels, and how it is written: JSON with a version field
/// (`{"v": 1, "method": ..., "path": ..., "route": ..., "params": [[k, v]...], "query": ...,
/// "headers": [[name, value]...], "keys": {...}, "request_id": ..., "trace": {...},
/// "client_ip": ..., "started_ms": ..., "deadline_ms": ..., "body": ...}`). Text that is not
/// UTF-8 is written as `{"base64": "..."}`, so any byte survives.
///
/// Always carried: method, path, route pattern, params, raw query, client address, request id,
/// trace and span ids, start time and deadline (as Unix milliseconds: processes share no steady
/// clock). Carried when asked for: the headers named by header() (none by default: they may hold
/// credentials), the keys named by key<T>() (typed: a `std::any` cannot be written), and the
/// body with body() (with a size cap). Anything else is left behind.
///
/// ```
/// sloe::WireFormat wire;
/// wire.key<int>("user_id").header("Accept-Language").body(64 * 1024);
/// std::string text = wire.encode(c.copy(true));
/// sloe::ContextCopy job = wire.decode(text);  // job.get<int>("user_id"), job.param("id"), ...
/// ```
///
/// Configure it before sharing it: encode() and decode() are const and safe from any thread.
class WireFormat {
 public:
  /// The version this build writes, and the only one it reads.
  static constexpr int version = 1;

  /// Carries the request-scoped key `name` (set with `c.set(name, T{...})`) as JSON; T needs
  /// nlohmann's to_json/from_json (built in for numbers, strings, containers). A key of
  /// another type makes encode() throw; a key not set is left out.
  template <class T>
  WireFormat& key(std::string name) {
    keys_.push_back(
        Key{std::move(name), &typeid(T),
            [](const std::any& value) { return json(std::any_cast<const T&>(value)); },
            [](const json& value) { return std::any(detail::wire_key_value<T>(value)); }});
    return *this;
  }

  /// Carries every value of the request header `name` (case-insensitive), in request order.
  /// Reading keeps only the headers named here too.
  WireFormat& header(std::string name);

  /// Carries the body (when the copy has one: `c.copy(true)`) up to `max_bytes`; a longer one
  /// makes encode() and decode() throw rather than cut it.
  WireFormat& body(std::size_t max_bytes);

  /// The copy as JSON text. Throws WireFormatError for a key of another type than registered
  /// or a body over the cap.
  std::string encode(const ContextCopy& copy) const;
  /// The copy as a JSON value (encode() without the text).
  json to_json(const ContextCopy& copy) const;

  /// A copy rebuilt from encode()'s text: it answers the same accessors as the original for
  /// what was carried. Its scope is a child of `parent` with the carried deadline (born
  /// cancelled when it has passed). Throws WireFormatError for text that is not JSON, a
  /// version other than `version`, a field of the wrong shape, a key that does not convert
  /// to its registered type, or a body over the cap. A key not registered here is skipped.
  ContextCopy decode(std::string_view text, const Scope& parent = Scope::background()) const;
  /// decode() from a JSON value.
  ContextCopy from_json(const json& wire, const Scope& parent = Scope::background()) const;

 private:
  struct Key {
    std::string name;
    const std::type_info* type;
    std::function<json(const std::any&)> write;
    std::function<std::any(const json&)> read;
  };
  std::vector<Key> keys_;
  std::vector<std::string> headers_;
  std::optional<std::size_t> body_cap_;
};

}  // namespace sloe
