#include "http/url.hpp"

#include "http/field_syntax.hpp"

namespace sloe::http {

namespace {

constexpr std::string_view kUpperHex = "0123456789ABCDEF";

// The byte that the escape "%XX" at text[at] (a '%') stands for, or -1 when the escape is cut
// short or its two characters are not hex digits. The one place sloe decodes an escape.
int escaped_byte(std::string_view text, std::size_t at) {
  if (at + 2 >= text.size()) return -1;
  const int high = hex_value(text[at + 1]);
  const int low = hex_value(text[at + 2]);
  if (high < 0 || low < 0) return -1;
  return high * 16 + low;
}

void append_escape(unsigned char byte, std::string& out) {
  out.push_back('%');
  out.push_back(kUpperHex[byte >> 4]);
  out.push_back(kUpperHex[byte & 0xF]);
}

// Go's net/url shouldEscape(c, encodePath).
bool should_escape_in_path(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return false;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '~':
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '@':
      return false;
    default:
      return true;  // '?' and everything else
  }
}

}  // namespace

bool needs_decoding(std::string_view text, bool plus_as_space) {
  return text.find_first_of(plus_as_space ? std::string_view("%+") : std::string_view("%")) !=
         std::string_view::npos;
}

bool percent_decode(std::string_view text, std::string& out, bool plus_as_space) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const int byte = escaped_byte(text, i);
      if (byte < 0) return false;
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

void query_escape(std::string_view text, std::string& out) {
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      append_escape(static_cast<unsigned char>(c), out);
    }
  }
}

void escape_path(std::string_view path, std::string& out) {
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (should_escape_in_path(c)) {
      append_escape(c, out);
    } else {
      out.push_back(ch);
    }
  }
}

bool has_raw_path(std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    auto c = static_cast<unsigned char>(path[i]);
    if (c == '%') {
      const int byte = escaped_byte(path, i);
      if (byte < 0) return true;
      if (!should_escape_in_path(static_cast<unsigned char>(byte))) return true;
      if (path[i + 1] != kUpperHex[byte >> 4] || path[i + 2] != kUpperHex[byte & 0xF]) return true;
      i += 2;
    } else if (should_escape_in_path(c)) {
      return true;
    }
  }
  return false;
}

bool valid_encoded_path(std::string_view path) {
  for (char ch : path) {
    switch (ch) {
      case '!':
      case '$':
      case '&':
      case '\'':
      case '(':
      case ')':
      case '*':
      case '+':
      case ',':
      case ';':
      case '=':
      case ':':
      case '@':
      case '[':
      case ']':
      case '%':
        break;
      default:
        if (should_escape_in_path(static_cast<unsigned char>(ch))) return false;
    }
  }
  return true;
}

}  // namespace sloe::http
