#include "sloe/context/trace_context.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "context/request_id.hpp"

namespace sloe {

namespace {

constexpr std::size_t kVersion00Size = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_id(std::string_view id, std::size_t digits) {
  return id.size() == digits && is_lower_hex(id) &&
         id.find_first_not_of('0') != std::string_view::npos;
}

int hex_value(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

// The flags of a valid `traceparent`, checked without allocating (the engine reads every
// request's header); nullopt when it is not valid.
std::optional<std::uint8_t> valid_traceparent_flags(std::string_view header) {
  if (header.size() < kVersion00Size) return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  if (!is_lower_hex(version) || version == "ff") return std::nullopt;
  const bool version00 = version == "00";
  if (version00 && header.size() != kVersion00Size) return std::nullopt;
  // A later version may append fields, but only after another '-'.
  if (!version00 && header.size() > kVersion00Size && header[kVersion00Size] != '-') {
    return std::nullopt;
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view parent_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!is_trace_id(trace_id) || !is_span_id(parent_id) || !is_lower_hex(flags)) {
    return std::nullopt;
  }
  auto flag_bits = static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]));
  // Flags a later version defined mean nothing to a version 00 reader.
  if (!version00) flag_bits &= 1;
  return flag_bits;
}

}  // namespace

bool is_trace_id(std::string_view id) {
  return is_id(id, 32);
}

bool is_span_id(std::string_view id) {
  return is_id(id, 16);
}

std::optional<TraceParent> parse_traceparent(std::string_view header) {
  const std::optional<std::uint8_t> flags = valid_traceparent_flags(header);
  if (!flags) return std::nullopt;
  return TraceParent{std::string(header.substr(3, 32)), std::string(header.substr(36, 16)), *flags};
}

namespace detail {

std::string_view trace_id_of(std::string_view traceparent) {
  return valid_traceparent_flags(traceparent) ? traceparent.substr(3, 32) : std::string_view();
}

}  // namespace detail

std::string format_traceparent(std::string_view trace_id, std::string_view span_id, bool sampled) {
  return fmt::format("00-{}-{}-{}", trace_id, span_id, sampled ? "01" : "00");
}

}  // namespace sloe
