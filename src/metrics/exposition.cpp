#include "metrics/exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <stdexcept>

namespace sloe::metrics_text {

namespace {
bool is_ascii_letter(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// The length of the valid UTF-8 sequence at the start of `text` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when it does not start with one.
std::size_t utf8_sequence_length(std::string_view text) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char min_second = 0x80, max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < min_second || byte(1) > max_second) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}
}  // namespace

bool is_metric_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name.front())) return false;
  for (char c : name) {
    if (!is_ascii_letter(c) && !is_digit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

bool is_label_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name.front()) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!is_ascii_letter(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

void check_upper_bounds(std::span<const double> upper_bounds) {
  if (upper_bounds.empty()) {
    throw std::invalid_argument("sloe: a histogram needs at least one bucket upper bound");
  }
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i])) {
      throw std::invalid_argument(fmt::format(
          "sloe: histogram bucket bound {} is not finite (+Inf is always the last bucket)",
          upper_bounds[i]));
    }
    if (i > 0 && !(upper_bounds[i - 1] < upper_bounds[i])) {
      throw std::invalid_argument(
          fmt::format("sloe: histogram bucket bounds must be strictly increasing: {} then {}",
                      upper_bounds[i - 1], upper_bounds[i]));
    }
  }
}

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER, for one bad byte
      length = 1;
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    // fmt's "{}" is the shortest representation that reads back exactly (Go's 'g', -1).
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

}  // namespace sloe::metrics_text
