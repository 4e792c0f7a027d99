#pragma once
// RFC 9110 §5.6 character classes, shared by the request line, header, trailer and URL code.

#include <array>
#include <string_view>

namespace sloe::http {

/// HEXDIG's value, or -1 for any other byte.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// tchar: the characters of a method, a field name or a chunk extension name. A table, since
/// every request's method goes through it byte by byte.
inline constexpr auto kTcharTable = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = table[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

constexpr bool is_tchar(unsigned char c) {
  return kTcharTable[c];
}

constexpr bool is_token(std::string_view s) {
  for (char c : s) {
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

/// field-vchar, SP or HTAB: what a field value may hold (obs-text included, CTLs not).
constexpr bool is_field_value_char(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/// A Host value as RFC 9112 §3.2 allows it: uri-host [ ":" port ], where uri-host is a
/// reg-name (unreserved, pct-encoded, sub-delims) or an IP literal in brackets. Empty is valid
/// (a target without an authority).
inline constexpr auto kHostCharTable = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = table[c - 'a' + 'A'] = true;
  for (char c : std::string_view("-._~%!$&'()*+,;=:[]"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

constexpr bool is_valid_host(std::string_view host) {
  for (char c : host) {
    if (!kHostCharTable[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace sloe::http
