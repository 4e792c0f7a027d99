#include "router/tree.hpp"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "sloe/errors.hpp"

namespace sloe::router {

namespace {

enum class Kind : std::uint8_t {
  static_text,  // literal bytes
  root,         // the top node (literal bytes too)
  param,        // ":name", matches up to the next '/'
  catch_all,    // an empty holder node, and below it the "/*name" leaf that matches the rest
};

constexpr std::size_t npos = std::string_view::npos;

std::size_t common_prefix(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// The first wildcard (":name" or "*name", up to the next '/') in `path`, its offset, and whether
// its name is free of further ':' or '*'. The offset is npos when there is no wildcard.
struct Wildcard {
  std::string_view text;
  std::size_t at = npos;
  bool valid = false;
};

Wildcard find_wildcard(std::string_view path) {
  const std::size_t start = path.find_first_of(":*");
  if (start == npos) return {};
  std::size_t end = path.find('/', start + 1);
  if (end == npos) end = path.size();
  const std::string_view text = path.substr(start, end - start);
  return {text, start, text.find_first_of(":*", 1) == npos};
}

[[noreturn]] void throw_invalid(std::string_view route, std::string_view why) {
  throw RouteConflict("sloe router: invalid route '" + std::string(route) +
                      "': " + std::string(why));
}

[[noreturn]] void throw_conflict(std::string_view route, std::string_view existing,
                                 std::string_view why) {
  throw RouteConflict("sloe router: route '" + std::string(route) +
                      "' conflicts with existing route '" + std::string(existing) +
                      "': " + std::string(why));
}

// Checks everything about a pattern that does not depend on the routes already registered.
void validate_pattern(std::string_view route) {
  if (route.empty() || route.front() != '/') throw_invalid(route, "a path must begin with '/'");
  std::size_t offset = 0;
  for (;;) {
    const Wildcard w = find_wildcard(route.substr(offset));
    if (w.at == npos) return;
    const std::size_t at = offset + w.at;
    if (!w.valid) {
      throw_invalid(route, "only one wildcard per path segment is allowed, has '" +
                               std::string(w.text) + "'");
    }
    if (w.text.size() < 2) throw_invalid(route, "wildcards must be named with a non-empty name");
    if (w.text.front() == '*') {
      if (at + w.text.size() != route.size()) {
        throw_invalid(route, "catch-all routes are only allowed at the end of the path");
      }
      if (route[at - 1] != '/') throw_invalid(route, "a catch-all must follow a '/'");
    }
    offset = at + w.text.size();
  }
}

}  // namespace

struct Tree::Node {
  std::string_view path;        // the bytes this node matches; a view into Tree::patterns_
  std::string indices;          // first byte of each static child, parallel to `children`
  std::vector<Node*> children;  // static children by priority, then at most one wildcard child
  std::string_view full_path;   // the pattern whose route this node holds
  std::uint32_t route = kNoRoute;
  std::uint32_t priority = 0;  // routes in this subtree; busier children are tried first
  Kind kind = Kind::static_text;
  bool wild_child = false;  // children.back() is a param or catch-all node
};

namespace {

using Node = Tree::Node;

// Appends `child`, keeping a wildcard child last.
void add_child(Node* n, Node* child) {
  if (n->wild_child && !n->children.empty()) {
    n->children.insert(n->children.end() - 1, child);
  } else {
    n->children.push_back(child);
  }
}

// Counts one more route through the static child at `pos` and moves it ahead of less busy
// siblings. Returns its new position.
std::size_t bump_priority(Node* n, std::size_t pos) {
  auto& cs = n->children;
  const std::uint32_t prio = ++cs[pos]->priority;
  std::size_t to = pos;
  while (to > 0 && cs[to - 1]->priority < prio) {
    std::swap(cs[to - 1], cs[to]);
    --to;
  }
  if (to != pos) {
    const char moved = n->indices[pos];
    n->indices.erase(pos, 1);
    n->indices.insert(to, 1, moved);
  }
  return to;
}

// The pattern of some route at or below `n`, to name it in an error.
std::string_view route_below(const Node* n) {
  while (n->route == kNoRoute && !n->children.empty()) n = n->children.front();
  return n->full_path;
}

std::string_view up_to_slash(std::string_view s) {
  return s.substr(0, s.find('/'));
}

std::size_t param_count(std::string_view path) {
  return static_cast<std::size_t>(
      std::count_if(path.begin(), path.end(), [](char c) { return c == ':' || c == '*'; }));
}

}  // namespace

Tree::Tree() {
  new_node()->kind = Kind::root;
}
Tree::~Tree() = default;
Tree::Tree(Tree&&) noexcept = default;
Tree& Tree::operator=(Tree&&) noexcept = default;

Tree::Node* Tree::new_node() {
  nodes_.push_back(std::make_unique<Node>());
  return nodes_.back().get();
}

bool Tree::empty() const {
  return root()->route == kNoRoute && root()->children.empty();
}

void Tree::add(std::string_view path, std::uint32_t route) {
  validate_pattern(path);
  check_insert(path);
  // From here on nothing throws but allocation failure.
  patterns_.emplace_back(path);
  insert(patterns_.back(), route);
  max_params_ = std::max(max_params_, param_count(path));
}

// Walks the tree the way insert() will and throws if insert() would meet a conflict, so that a
// rejected route leaves the tree untouched.
void Tree::check_insert(std::string_view path) const {
  const std::string_view full = path;
  const Node* n = root();
  if (n->path.empty() && n->children.empty()) return;
  for (;;) {
    const std::size_t i = common_prefix(path, n->path);
    const bool split = i < n->path.size();
    if (i == path.size()) {
      if (!split && n->route != kNoRoute) {
        throw_conflict(full, n->full_path, "the pattern is already registered");
      }
      return;
    }
    path.remove_prefix(i);
    const std::string_view done = full.substr(0, full.size() - path.size());
    const char c = path.front();
    if (split) {
      // n would keep n->path[:i], which ends in the '/' a catch-all needs for itself.
      if (c == '*') {
        const std::string_view seg = up_to_slash(n->path.substr(i));
        throw_conflict(full, route_below(n),
                       "catch-all '" + std::string(path) + "' conflicts with existing path " +
                           "segment '" + std::string(seg) + "' in existing prefix '" +
                           std::string(done) + std::string(seg) + "'");
      }
      return;
    }
    if (n->kind == Kind::param && c == '/' && n->children.size() == 1) {
      n = n->children.front();
      continue;
    }
    if (const std::size_t pos = n->indices.find(c); pos != npos) {
      n = n->children[pos];
      continue;
    }
    if (c != ':' && c != '*' && n->kind != Kind::catch_all) return;
    if (n->wild_child) {
      const Node* w = n->children.back();
      if (w->kind != Kind::catch_all && path.starts_with(w->path) &&
          (path.size() == w->path.size() || path[w->path.size()] == '/')) {
        n = w;
        continue;
      }
      if (w->kind == Kind::catch_all && path == w->path) {
        throw_conflict(full, w->full_path, "the pattern is already registered");
      }
      const std::string_view seg = w->kind == Kind::catch_all ? path : up_to_slash(path);
      throw_conflict(full, route_below(w),
                     "'" + std::string(seg) + "' conflicts with existing wildcard '" +
                         std::string(w->path) + "' in existing prefix '" + std::string(done) +
                         std::string(w->path) + "'");
    }
    if (c == '*') {
      // The '/' before the catch-all already ends n, which has routes of its own.
      if (n->children.empty()) {
        throw_conflict(full, n->full_path,
                       "catch-all '" + std::string(path) + "' needs the '/' before it to " +
                           "itself, but prefix '" + std::string(done) + "' is already a route");
      }
      const std::string_view seg = up_to_slash(n->children.front()->path);
      throw_conflict(full, route_below(n),
                     "catch-all '" + std::string(path) + "' conflicts with existing path " +
                         "segment '" + std::string(seg) + "' in existing prefix '" +
                         std::string(done) + std::string(seg) + "'");
    }
    return;
  }
}

void Tree::insert(std::string_view path, std::uint32_t route) {
  const std::string_view full = path;
  Node* n = root();
  ++n->priority;
  if (n->path.empty() && n->children.empty()) {
    insert_wildcards(n, path, full, route);
    return;
  }
  std::size_t done = 0;  // bytes of `full` matched above n
  for (;;) {
    const std::size_t i = common_prefix(path, n->path);
    if (i < n->path.size()) {
      // Split: n keeps the common prefix, a new child takes the rest and everything below.
      Node* tail = new_node();
      tail->path = n->path.substr(i);
      tail->indices = std::move(n->indices);
      tail->children = std::move(n->children);
      tail->full_path = n->full_path;
      tail->route = n->route;
      tail->priority = n->priority - 1;
      tail->wild_child = n->wild_child;
      n->indices.assign(1, tail->path.front());
      n->children.assign(1, tail);
      n->path = n->path.substr(0, i);
      n->full_path = full.substr(0, done + i);
      n->route = kNoRoute;
      n->wild_child = false;
    }
    if (i == path.size()) {
      n->route = route;
      n->full_path = full;
      return;
    }
    path.remove_prefix(i);
    const char c = path.front();
    if (n->kind == Kind::param && c == '/' && n->children.size() == 1) {
      done += n->path.size();
      n = n->children.front();
      ++n->priority;
      continue;
    }
    if (std::size_t pos = n->indices.find(c); pos != npos) {
      done += n->path.size();
      pos = bump_priority(n, pos);
      n = n->children[pos];
      continue;
    }
    if (c != ':' && c != '*' && n->kind != Kind::catch_all) {
      n->indices.push_back(c);
      Node* child = new_node();
      child->full_path = full;
      add_child(n, child);
      bump_priority(n, n->indices.size() - 1);
      insert_wildcards(child, path, full, route);
      return;
    }
    if (n->wild_child) {  // check_insert() made sure the wildcard is the same
      done += n->path.size();
      n = n->children.back();
      ++n->priority;
      continue;
    }
    insert_wildcards(n, path, full, route);
    return;
  }
}

// Gives the empty-pathed node n the rest of a pattern, creating param and catch-all nodes.
void Tree::insert_wildcards(Node* n, std::string_view path, std::string_view full,
                            std::uint32_t route) {
  for (;;) {
    const Wildcard w = find_wildcard(path);
    if (w.at == npos) break;
    if (w.text.front() == ':') {
      if (w.at > 0) {
        n->path = path.substr(0, w.at);
        path.remove_prefix(w.at);
      }
      Node* param = new_node();
      param->kind = Kind::param;
      param->path = w.text;
      param->full_path = full;
      add_child(n, param);
      n->wild_child = true;
      n = param;
      ++n->priority;
      if (w.text.size() == path.size()) {
        n->route = route;
        return;
      }
      path.remove_prefix(w.text.size());  // more follows, starting with '/'
      Node* next = new_node();
      next->priority = 1;
      next->full_path = full;
      add_child(n, next);
      n = next;
      continue;
    }
    // A catch-all owns the '/' before it: n keeps what precedes, a holder node is indexed
    // under '/', and its single child, the leaf "/*name", holds the route.
    const std::size_t slash = w.at - 1;
    n->path = path.substr(0, slash);
    Node* holder = new_node();
    holder->kind = Kind::catch_all;
    holder->wild_child = true;
    holder->full_path = full;
    add_child(n, holder);
    n->indices.assign(1, '/');
    ++holder->priority;
    Node* leaf = new_node();
    leaf->kind = Kind::catch_all;
    leaf->path = path.substr(slash);
    leaf->full_path = full;
    leaf->route = route;
    leaf->priority = 1;
    holder->children.assign(1, leaf);
    return;
  }
  n->path = path;
  n->route = route;
  n->full_path = full;
}

// ---------------------------------------------------------------------------------------------
// Lookup

namespace {

// The hot-path string operations, written out: the strings are a few bytes long, where a call
// to memcmp or memchr costs more than the work.
inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::uint32_t load4(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Whether s starts with prefix: word-wise, with overlapping loads for the tail.
inline bool has_prefix(std::string_view s, std::string_view prefix) {
  const std::size_t n = prefix.size();
  if (s.size() < n) return false;
  const char* a = s.data();
  const char* b = prefix.data();
  if (n >= 8) {
    for (std::size_t k = 0; k + 8 < n; k += 8) {
      if (load8(a + k) != load8(b + k)) return false;
    }
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (std::size_t k = 0; k < n; ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

inline std::size_t index_of(const std::string& indices, char c) {
  const char* p = indices.data();
  for (std::size_t k = 0, n = indices.size(); k < n; ++k) {
    if (p[k] == c) return k;
  }
  return npos;
}

inline std::size_t segment_end(std::string_view s) {
  std::size_t k = 0;
  while (k < s.size() && s[k] != '/') ++k;
  return k;
}

// One walk down the tree. Where a node has both a matching static child and a wildcard child,
// the static child is tried first in a nested walk; if that walk fails in one of the places
// Gin backtracks from, the wildcard child is tried with the parameters rolled back. `nested`
// says whether an enclosing walk can still take its wildcard instead: a failing walk then
// returns false rather than a (trailing-slash) verdict.
bool walk(const Node* n, std::string_view path, Params& params, Match& out, bool nested) {
  for (;;) {
    const std::string_view prefix = n->path;
    if (path.size() > prefix.size() && has_prefix(path, prefix)) {
      path.remove_prefix(prefix.size());
      if (const std::size_t pos = index_of(n->indices, path.front()); pos != npos) {
        const Node* child = n->children[pos];
        if (!n->wild_child) {
          n = child;
          continue;
        }
        const std::size_t mark = params.size();
        if (walk(child, path, params, out, true)) return true;
        params.resize(mark);
      } else if (!n->wild_child) {
        if (nested && path != "/") return false;
        out.trailing_slash_redirect = path == "/" && n->route != kNoRoute;
        return true;
      }

      n = n->children.back();
      if (n->kind == Kind::param) {
        const std::size_t end = segment_end(path);
        params.push_back({n->path.substr(1), path.substr(0, end)});
        if (end < path.size()) {
          if (!n->children.empty()) {
            path.remove_prefix(end);
            n = n->children.front();
            continue;
          }
          out.trailing_slash_redirect = path.size() == end + 1;
          return true;
        }
        if (n->route != kNoRoute) {
          out.route = n->route;
          out.full_path = n->full_path;
          return true;
        }
        if (n->children.size() == 1) {
          const Node* c = n->children.front();
          out.trailing_slash_redirect =
              (c->path == "/" && c->route != kNoRoute) || (c->path.empty() && c->indices == "/");
        }
        return true;
      }
      // catch-all leaf: the value keeps its leading '/'
      params.push_back({n->path.substr(2), path});
      out.route = n->route;
      out.full_path = n->full_path;
      return true;
    }

    if (path == prefix) {
      if (n->route != kNoRoute) {
        out.route = n->route;
        out.full_path = n->full_path;
        return true;
      }
      if (nested && path != "/") return false;
      if (path == "/" && n->wild_child && n->kind != Kind::root) {
        out.trailing_slash_redirect = true;
        return true;
      }
      if (const std::size_t pos = index_of(n->indices, '/'); pos != npos) {
        const Node* c = n->children[pos];
        out.trailing_slash_redirect =
            (c->path.size() == 1 && c->route != kNoRoute) ||
            (c->kind == Kind::catch_all && c->children.front()->route != kNoRoute);
      }
      return true;
    }

    // The path ends inside this node, or differs from it.
    const bool tsr = path == "/" || (prefix.size() == path.size() + 1 && prefix.back() == '/' &&
                                     prefix.starts_with(path) && n->route != kNoRoute);
    if (!tsr && nested) return false;
    out.trailing_slash_redirect = tsr;
    return true;
  }
}

}  // namespace

Match Tree::find(std::string_view path, Params& params) const {
  const std::size_t base = params.size();
  Match m;
  walk(root(), path, params, m, false);
  if (m.route == kNoRoute) params.resize(base);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Case-insensitive lookup

namespace {

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
      if (pos == npos) return false;
      const Node* child = at.n->children[pos];
      if (child->kind != Kind::static_text) return false;
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
    if (n->kind == Kind::param) {
      const std::size_t end = std::min(rest.find('/'), rest.size());
      out.append(rest.substr(0, end));
      rest.remove_prefix(end);
      if (rest.empty()) return n->route != kNoRoute;
      if (n->children.empty()) return false;
      at = {n->children.front(), 0};
      continue;
    }
    if (n->kind == Kind::catch_all) {  // reached through its '/' index: rest starts with '/'
      out.append(rest);
      return true;
    }
    const bool at_end = at.i == n->path.size();
    if (at_end) {
      if (rest.empty()) return n->route != kNoRoute;
      if (rest.front() == '/') {
        const std::size_t pos = n->indices.find('/');
        if (pos != npos && n->children[pos]->kind == Kind::catch_all) {
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
