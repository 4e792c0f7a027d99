#include "sloe/log_escape.hpp"

namespace sloe {

namespace {

bool escaped(unsigned char byte) noexcept {
  return byte < 0x20 || byte >= 0x7F || byte == '"' || byte == '\\';
}

}  // namespace

bool needs_log_escape(std::string_view text) noexcept {
  for (char ch : text) {
    if (escaped(static_cast<unsigned char>(ch))) return true;
  }
  return false;
}

void append_log_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.reserve(out.size() + text.size());
  for (char ch : text) {
    auto byte = static_cast<unsigned char>(ch);
    if (!escaped(byte)) {
      out.push_back(ch);
      continue;
    }
    const char sequence[] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 0x0F]};
    out.append(sequence, sizeof sequence);
  }
}

void append_json_log_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size());
  for (char ch : text) {
    auto byte = static_cast<unsigned char>(ch);
    if (!escaped(byte)) {
      out.push_back(ch);
    } else if (byte == '"' || byte == '\\') {
      const char sequence[] = {'\\', ch};
      out.append(sequence, sizeof sequence);
    } else {
      const char sequence[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0x0F]};
      out.append(sequence, sizeof sequence);
    }
  }
}

std::string log_escape(std::string_view text) {
  std::string out;
  append_log_escaped(out, text);
  return out;
}

}  // namespace sloe
