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
  // Runs of bytes that need nothing (nearly all of a line) are appended at once.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (!escaped(byte)) continue;
    out.append(text.data() + run, i - run);
    const char sequence[] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 0x0F]};
    out.append(sequence, sizeof sequence);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

void append_json_log_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (!escaped(byte)) continue;
    out.append(text.data() + run, i - run);
    if (byte == '"' || byte == '\\') {
      const char sequence[] = {'\\', text[i]};
      out.append(sequence, sizeof sequence);
    } else {
      const char sequence[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0x0F]};
      out.append(sequence, sizeof sequence);
    }
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

std::string log_escape(std::string_view text) {
  std::string out;
  append_log_escaped(out, text);
  return out;
}

}  // namespace sloe
