#pragma once
// Shared by the libFuzzer targets: failing with a readable message, and byte strings printed
// so that a report can be pasted into a test.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace sloe::fuzz {

/// `text` as a C string literal: printable ASCII as is, everything else escaped.
inline std::string printable(std::string_view text, std::size_t limit = 400) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(byte));
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\n') {
      out += "\\n";
    } else if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(static_cast<char>(byte));
    } else {
      // Three octal digits: an escape that never swallows the character after it.
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + (byte >> 6)));
      out.push_back(static_cast<char>('0' + ((byte >> 3) & 7)));
      out.push_back(static_cast<char>('0' + (byte & 7)));
    }
  }
  if (text.size() > limit) out += "...";
  out.push_back('"');
  return out;
}

/// Reports a broken property and aborts, which libFuzzer records as a crash with its input.
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "\n==== sloe fuzz: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, std::string_view what) {
  if (!ok) fail(what);
}

}  // namespace sloe::fuzz
