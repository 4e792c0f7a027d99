// Tree::find_case_insensitive: the fixed-path search behind Gin's RedirectFixedPath. It walks the
// builder's nodes, trying each letter of the request in lower, upper and original case, with
// full Unicode case mapping where the C library has a UTF-8 locale.

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "router/tree.hpp"
#include "router/tree_node.hpp"

namespace sloe::router {

namespace {

using Node = Tree::Node;

// Full Unicode case mapping through the C.UTF-8 locale when the C library has it; ASCII only
// otherwise. Created once, never changed, safe to use from any thread.
locale_t utf8_locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
  return loc;
}

// Decodes the UTF-8 sequence at the front of s. An invalid byte decodes as itself, length 1,
// code point -1.
std::pair<char32_t, std::size_t> decode_utf8(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07;
  } else {
    return {static_cast<char32_t>(-1), 1};
  }
  if (s.size() < len) return {static_cast<char32_t>(-1), 1};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[k]);
    if ((b & 0xC0) != 0x80) return {static_cast<char32_t>(-1), 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len};
}

struct Encoded {
  std::array<char, 4> bytes{};
  std::size_t size = 0;
  std::string_view view() const { return {bytes.data(), size}; }
};

Encoded encode_utf8(char32_t cp) {
  Encoded e;
  auto put = [&](unsigned v) { e.bytes[e.size++] = static_cast<char>(v); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6)), put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3F)), put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  }
  return e;
}

// The spellings a rune of the request may have in a pattern: lower case, upper case, as is.
struct Spellings {
  std::array<Encoded, 3> list;
  std::size_t size = 0;
  void add(const Encoded& e) {
    for (std::size_t k = 0; k < size; ++k) {
      if (list[k].view() == e.view()) return;
    }
    list[size++] = e;
  }
};

Spellings spellings_of(std::string_view rune, char32_t cp) {
  Spellings s;
  if (cp == static_cast<char32_t>(-1)) {
    Encoded raw;
    raw.bytes[0] = rune[0];
    raw.size = 1;
    s.add(raw);
    return s;
  }
  char32_t lower = cp, upper = cp;
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') lower = cp + ('a' - 'A');
    if (cp >= 'a' && cp <= 'z') upper = cp - ('a' - 'A');
  } else if (const locale_t loc = utf8_locale(); loc != locale_t{}) {
    lower = static_cast<char32_t>(towlower_l(static_cast<wint_t>(cp), loc));
    upper = static_cast<char32_t>(towupper_l(static_cast<wint_t>(cp), loc));
  }
  s.add(encode_utf8(lower));
  s.add(encode_utf8(upper));
  s.add(encode_utf8(cp));
  return s;
}

// A place in the static text of the tree: node n, byte i of its path.
struct Cursor {
  const Node* n;
  std::size_t i;
};

// Moves `at` over `bytes` of static text, following static children at node ends.
bool advance(Cursor& at, std::string_view bytes) {
  for (const char b : bytes) {
    if (at.i == at.n->path.size()) {
      const std::size_t pos = at.n->indices.find(b);
      if (pos == std::string::npos) return false;
      const Node* child = at.n->children[pos];
      if (child->kind != NodeKind::static_text) return false;
      at = {child, 0};
    }
    if (at.n->path[at.i] != b) return false;
    ++at.i;
  }
  return true;
}

// Matches `rest` against the tree from `at`, letters in any case, appending the pattern's
// spelling (and the request's spelling of parameter values) to `out`. Tries static text first,
// in lower, upper, then original case, then a wildcard child.
bool walk_folded(Cursor at, std::string_view rest, std::string& out) {
  for (;;) {
    const Node* n = at.n;
    if (n->kind == NodeKind::param) {
      const std::size_t end = std::min(rest.find('/'), rest.size());
      out.append(rest.substr(0, end));
      rest.remove_prefix(end);
      if (rest.empty()) return n->route != kNoRoute;
      if (n->children.empty()) return false;
      at = {n->children.front(), 0};
      continue;
    }
    if (n->kind == NodeKind::catch_all) {  // reached through its '/' index: rest starts with '/'
      out.append(rest);
      return true;
    }
    const bool at_end = at.i == n->path.size();
    if (at_end) {
      if (rest.empty()) return n->route != kNoRoute;
      if (rest.front() == '/') {
        const std::size_t pos = n->indices.find('/');
        if (pos != std::string::npos && n->children[pos]->kind == NodeKind::catch_all) {
          out.append(rest);
          return true;
        }
      }
    } else if (rest.empty()) {
      return false;
    }

    const auto [cp, len] = decode_utf8(rest);
    const Spellings spellings = spellings_of(rest.substr(0, len), cp);
    std::array<Cursor, 3> next{};
    std::array<std::string_view, 3> spelled{};
    std::size_t viable = 0;
    for (std::size_t k = 0; k < spellings.size; ++k) {
      Cursor c = at;
      if (advance(c, spellings.list[k].view())) {
        next[viable] = c;
        spelled[viable++] = spellings.list[k].view();
      }
    }
    const bool wildcard_left = at_end && n->wild_child;
    // Every static alternative but the last (and the last too, when a wildcard is still to be
    // tried) is a nested attempt; the final one continues this loop.
    const std::size_t nested = wildcard_left ? viable : (viable == 0 ? 0 : viable - 1);
    const std::size_t mark = out.size();
    for (std::size_t k = 0; k < nested; ++k) {
      out.append(spelled[k]);
      if (walk_folded(next[k], rest.substr(len), out)) return true;
      out.resize(mark);
    }
    if (wildcard_left) {
      at = {n->children.back(), 0};
      continue;
    }
    if (viable == 0) return false;
    out.append(spelled[viable - 1]);
    at = next[viable - 1];
    rest.remove_prefix(len);
  }
}

}  // namespace

std::optional<std::string> Tree::find_case_insensitive(std::string_view path,
                                                       bool fix_trailing_slash) const {
  if (path.empty()) return std::nullopt;
  std::string out;
  out.reserve(path.size() + 1);
  if (walk_folded({root(), 0}, path, out)) return out;
  if (!fix_trailing_slash) return std::nullopt;
  out.clear();
  if (path.back() == '/') {
    if (path.size() > 1 && walk_folded({root(), 0}, path.substr(0, path.size() - 1), out)) {
      return out;
    }
    return std::nullopt;
  }
  std::string with_slash(path);
  with_slash.push_back('/');
  if (walk_folded({root(), 0}, with_slash, out)) return out;
  return std::nullopt;
}

}  // namespace sloe::router
