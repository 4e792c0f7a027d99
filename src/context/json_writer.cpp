#include "context/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <span>
#include <vector>

namespace sloe::detail {

bool is_valid_utf8(std::string_view text) {
  const auto* byte = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = byte + text.size();
  while (byte < end) {
    const unsigned char lead = *byte;
    int continuation = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      ++byte;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (end - byte <= continuation) return false;
    if (byte[1] < low || byte[1] > high) return false;
    for (int i = 2; i <= continuation; ++i) {
      if (byte[i] < 0x80 || byte[i] > 0xBF) return false;
    }
    byte += continuation + 1;
  }
  return true;
}

namespace {

void append_escaped(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      constexpr std::string_view kHex = "0123456789abcdef";
      const auto code = static_cast<unsigned char>(c);
      const std::array<char, 6> escape{'\\', 'u', '0', '0', kHex[code >> 4], kHex[code & 0xF]};
      out.append(escape.data(), escape.size());
    }
  }
}

void append_string(std::string& out, std::string_view text) {
  const bool ascii =
      std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii && !is_valid_utf8(text)) {
    out += dump_json(sloe::json(text));
    return;
  }
  out.push_back('"');
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));
    append_escaped(out, text[i]);
    plain_from = i + 1;
  }
  out.append(text.substr(plain_from));
  out.push_back('"');
}

template <class Number>
void append_number(std::string& out, Number number) {
  std::array<char, 24> digits;
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), number);
  out.append(digits.data(), result.ptr);
}

void append_double(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out += "null";
    return;
  }
  // nlohmann's own shortest round-trip formatting ("1.0", "1e+100"), so the bytes match dump().
  std::array<char, 64> digits;
  char* end = nlohmann::detail::to_chars(digits.data(), digits.data() + digits.size(), number);
  out.append(digits.data(), end);
}

void append_value(std::string& out, const JsonField::Stored& value) {
  std::visit(
      [&out](const auto& held) {
        using Held = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<Held, std::nullptr_t>) {
          out += "null";
        } else if constexpr (std::is_same_v<Held, bool>) {
          out += held ? "true" : "false";
        } else if constexpr (std::is_same_v<Held, double>) {
          append_double(out, held);
        } else if constexpr (std::is_integral_v<Held>) {
          append_number(out, held);
        } else if constexpr (std::is_same_v<Held, std::string_view>) {
          append_string(out, held);
        } else if constexpr (std::is_same_v<Held, JsonFields>) {
          append_json(out, held);
        } else if constexpr (std::is_same_v<Held, const sloe::json*>) {
          out += dump_json(*held);
        } else {
          out += dump_json(held);
        }
      },
      value);
}

bool key_before(const JsonField* left, const JsonField* right) {
  return left->key() < right->key();
}

// Insertion sort: stable (the first of equal keys stays first, as std::map keeps it) and
// without the buffer std::stable_sort allocates.
void sort_small(std::span<const JsonField*> order) {
  for (std::size_t i = 1; i < order.size(); ++i) {
    const JsonField* moving = order[i];
    std::size_t j = i;
    for (; j > 0 && key_before(moving, order[j - 1]); --j) order[j] = order[j - 1];
    order[j] = moving;
  }
}

}  // namespace

std::string dump_json(const sloe::json& value) {
  return value.dump(-1, ' ', false, sloe::json::error_handler_t::replace);
}

void append_json(std::string& out, JsonFields fields) {
  // sloe::json keeps object members in a std::map: sorted by key, the first duplicate wins.
  constexpr std::size_t kInlineFields = 16;
  std::array<const JsonField*, kInlineFields> inline_order;
  std::vector<const JsonField*> heap_order;
  std::span<const JsonField*> order;
  if (fields.size() <= kInlineFields) {
    order = {inline_order.data(), fields.size()};
  } else {
    heap_order.resize(fields.size());
    order = heap_order;
  }
  std::ranges::transform(fields, order.begin(), [](const JsonField& field) { return &field; });
  if (order.size() <= kInlineFields) {
    sort_small(order);
  } else {
    std::ranges::stable_sort(order, key_before);
  }

  out.push_back('{');
  const JsonField* previous = nullptr;
  for (const JsonField* field : order) {
    if (previous != nullptr) {
      if (previous->key() == field->key()) continue;
      out.push_back(',');
    }
    append_string(out, field->key());
    out.push_back(':');
    append_value(out, field->value());
    previous = field;
  }
  out.push_back('}');
}

}  // namespace sloe::detail
