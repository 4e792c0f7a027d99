#include "context/request_id.hpp"

#include <algorithm>
#include <random>

namespace sloe::detail {

namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

}  // namespace

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._~:/+=-").find(c) != std::string_view::npos;
  });
}

void generate_request_id(std::string& out) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  out.resize(32);
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = random();
    for (int i = 0; i < 16; ++i, bits >>= 4)
      out[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 15];
  }
}

std::string_view trace_id_of(std::string_view traceparent) {
  // version "-" trace-id "-" parent-id "-" flags
  if (traceparent.size() != 55 || traceparent.substr(0, 3) != "00-" || traceparent[35] != '-' ||
      traceparent[52] != '-') {
    return {};
  }
  std::string_view trace = traceparent.substr(3, 32);
  std::string_view parent = traceparent.substr(36, 16);
  if (!is_hex(trace) || !is_hex(parent) || !is_hex(traceparent.substr(53, 2)) || all_zero(trace) ||
      all_zero(parent)) {
    return {};
  }
  return trace;
}

}  // namespace sloe::detail
