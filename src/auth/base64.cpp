#include "auth/base64.hpp"

#include <array>
#include <cstdint>

namespace sloe::auth {

namespace {

constexpr std::uint8_t kNotInAlphabet = 0xFF;

using DecodeTable = std::array<std::uint8_t, 256>;

constexpr DecodeTable make_table(char char62, char char63) {
  DecodeTable table{};
  table.fill(kNotInAlphabet);
  std::uint8_t value = 0;
  for (char ch = 'A'; ch <= 'Z'; ++ch) table[static_cast<unsigned char>(ch)] = value++;
  for (char ch = 'a'; ch <= 'z'; ++ch) table[static_cast<unsigned char>(ch)] = value++;
  for (char ch = '0'; ch <= '9'; ++ch) table[static_cast<unsigned char>(ch)] = value++;
  table[static_cast<unsigned char>(char62)] = 62;
  table[static_cast<unsigned char>(char63)] = 63;
  return table;
}

constexpr DecodeTable kStandard = make_table('+', '/');
constexpr DecodeTable kUrl = make_table('-', '_');

// Decodes unpadded text of length 4n, 4n + 2 or 4n + 3.
std::optional<std::string> decode_unpadded(std::string_view text, const DecodeTable& table) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (char ch : text) {
    std::uint8_t value = table[static_cast<unsigned char>(ch)];
    if (value == kNotInAlphabet) return std::nullopt;
    bits = (bits << 6) | value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // The 2 or 4 bits left over must be zero: otherwise several texts decode to the same bytes.
  if ((bits & ((1U << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  // An '=' anywhere else is not in the table, so decode_unpadded refuses it.
  return decode_unpadded(text.substr(0, text.size() - padding), kStandard);
}

std::optional<std::string> decode_base64url(std::string_view text) {
  return decode_unpadded(text, kUrl);
}

}  // namespace sloe::auth
