#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header that
// carries a request's trace id and its caller's span id from service to service.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sloe {

/// A parsed `traceparent` header: "00-<trace id>-<parent span id>-<flags>".
struct TraceParent {
  std::string trace_id;   ///< 32 lowercase hex digits, not all zero
  std::string parent_id;  ///< the caller's span: 16 lowercase hex digits, not all zero
  std::uint8_t flags = 0;

  /// Whether the caller recorded its span (flag bit 0): a tracer should record this one too.
  bool sampled() const { return (flags & 1) != 0; }
};

/// Parses a `traceparent` header strictly, as the W3C spec asks: lowercase hex only, ids not
/// all zero, version "ff" invalid, version 00 exactly 55 characters. A later version is read
/// by version 00's layout when it is at least that long and anything past it starts with '-';
/// of its flags only "sampled" is kept. Anything else gives nullopt: the caller starts a new
/// trace, never guesses.
std::optional<TraceParent> parse_traceparent(std::string_view header);

/// Whether `id` is a trace id: 32 lowercase hex digits, not all zero.
bool is_trace_id(std::string_view id);
/// Whether `id` is a span id: 16 lowercase hex digits, not all zero.
bool is_span_id(std::string_view id);

/// The version 00 `traceparent` value for a span: "00-<trace id>-<span id>-<01 or 00>".
std::string format_traceparent(std::string_view trace_id, std::string_view span_id, bool sampled);

}  // namespace sloe
