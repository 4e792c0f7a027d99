#include "http/content_disposition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace sloe::http {

namespace {

bool is_control(unsigned char byte) {
  return byte < 0x20 || byte == 0x7f;
}

// RFC 8187 attr-char: what a filename* value carries without an escape.
bool is_attr_char(unsigned char byte) {
  if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
      (byte >= '0' && byte <= '9')) {
    return true;
  }
  return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(byte)) != std::string_view::npos;
}

}  // namespace

std::string attachment_disposition(std::string_view filename) {
  std::string name(filename);
  std::ranges::replace_if(
      name, [](char c) { return is_control(static_cast<unsigned char>(c)); }, '_');
  const bool ascii =
      std::ranges::none_of(name, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });

  std::string field = "attachment; filename=\"";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      field.push_back('\\');
      field.push_back(c);
    } else if (byte < 0x80) {
      field.push_back(c);
    } else if ((byte & 0xC0) != 0x80) {
      field.push_back('_');  // one per character: its continuation bytes add none
    }
  }
  field.push_back('"');
  if (ascii) return field;

  field.append("; filename*=UTF-8''");
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_attr_char(byte)) {
      field.push_back(c);
    } else {
      fmt::format_to(std::back_inserter(field), "%{:02X}", byte);
    }
  }
  return field;
}

}  // namespace sloe::http
