#include "context/request_id.hpp"

#include <algorithm>
#include <random>

namespace sloe::detail {

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

}  // namespace sloe::detail
