#include "router/tree.hpp"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstring>
#include <mutex>
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
  // The lookup table keeps 32-bit lengths.
  if (route.size() > UINT32_MAX) throw_invalid(route.substr(0, 64), "a path must be under 4 GiB");
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

// The tree as `find` walks it: every node a slot in one array. A node's children are adjacent
// and are reached by offset from the first rather than through a pointer each, and the first
// bytes of its static children are one word in the slot, compared eight at a time. The groups of
// children are laid out depth first, the last child's group right after its own, so that many
// nodes (a param's child, the child of an only child, the last static child) have their
// children right after them: descending to those takes no load of the `children` pointer.
struct Tree::Table {
  // One cache line per node.
  struct alignas(64) Slot {
    static constexpr std::size_t kInlineIndices = 8;

    // The first 8 bytes of `text`, and which of them are text, to compare a short text with
    // one load from the path.
    std::uint64_t text_word;
    std::uint64_t text_mask;
    const char* text;          // the node's path: bytes that must match in full
    const Slot* children;      // the static children in index order, then the wildcard
    const char* more_indices;  // the first bytes of the static children after the 8th
    std::uint32_t text_size;   // add() takes no pattern of 4 GiB or more
    std::uint32_t route;
    // The first byte of each of the first static children. Unused places repeat the first one,
    // which a scan meets first, so the scan need not know how many are used.
    char indices[kInlineIndices];
    std::uint16_t static_count;
    std::uint16_t child_count;
    Kind kind;
    bool wild_child;
    bool children_follow;   // children == this + 1
    bool slash_then_param;  // the text is "/" and the only child a param, as in "/:a/:b"
  };

  Table(const Node* root, std::size_t node_count);

  std::vector<Slot> slots;                   // slots[0] is the root
  std::vector<std::string_view> full_paths;  // the pattern of each slot's route
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
Tree::Tree(Tree&& other) noexcept
    : nodes_(std::move(other.nodes_)),
      patterns_(std::move(other.patterns_)),
      max_params_(other.max_params_),
      table_storage_(std::move(other.table_storage_)),
      table_(other.table_.exchange(nullptr)) {}

Tree& Tree::operator=(Tree&& other) noexcept {
  nodes_ = std::move(other.nodes_);
  patterns_ = std::move(other.patterns_);
  max_params_ = other.max_params_;
  table_storage_ = std::move(other.table_storage_);
  table_.store(other.table_.exchange(nullptr));
  return *this;
}

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
  table_.store(nullptr, std::memory_order_relaxed);
  table_storage_.reset();
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

using Slot = Tree::Table::Slot;

// The word-at-a-time byte search below reads byte k of a word at bits 8k..8k+7.
static_assert(std::endian::native == std::endian::little);

constexpr std::uint64_t kEveryByte = 0x0101010101010101;
constexpr std::uint64_t kHighBits = 0x8080808080808080;

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

inline std::uint16_t load2(const char* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// 0x80 in the bytes of `word` equal to `byte`. Only the lowest marked byte is sure to be equal:
// a borrow from it may mark higher bytes that are not.
inline std::uint64_t bytes_equal_to(std::uint64_t word, unsigned char byte) {
  const std::uint64_t x = word ^ (kEveryByte * byte);
  return (x - kEveryByte) & ~x & kHighBits;
}

inline std::size_t first_marked_byte(std::uint64_t marks) {
  return static_cast<std::size_t>(std::countr_zero(marks)) / 8;
}

// Whether the n bytes at a and at b are equal. The strings are a few bytes long, where a call to
// memcmp costs more than the work; overlapping loads cover the lengths between powers of two.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    for (std::size_t k = 0; k + 8 < n; k += 8) {
      if (load8(a + k) != load8(b + k)) return false;
    }
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return ((load4(a) ^ load4(b)) | (load4(a + n - 4) ^ load4(b + n - 4))) == 0;
  if (n >= 2) return ((load2(a) ^ load2(b)) | (load2(a + n - 2) ^ load2(b + n - 2))) == 0;
  return n == 0 || *a == *b;
}

inline bool is_slash(std::string_view s) {
  return s.size() == 1 && s.front() == '/';
}

// The first child of n. Where it lies right after n the address is known before the slot is
// read, and the descent does not wait on a load.
inline const Slot* first_child(const Slot* n) {
  if (n->children_follow) [[likely]] {
    return n + 1;
  }
  return n->children;
}

// The static child of n whose path starts with c, or nullptr. A plain scan: the branch predictor
// learns which child a path takes, so the next slot's address waits on one load (`children`)
// and not on the comparisons, as it would if the position were computed from them.
inline const Slot* static_child(const Slot* n, char c) {
  if (n->static_count == 0) return nullptr;
  for (std::size_t k = 0; k < Slot::kInlineIndices; ++k) {
    if (n->indices[k] == c) return first_child(n) + k;
  }
  for (std::size_t k = Slot::kInlineIndices; k < n->static_count; ++k) {
    if (n->more_indices[k - Slot::kInlineIndices] == c) return first_child(n) + k;
  }
  return nullptr;
}

// Up to 8 bytes from the front of `rest`, zeros after its end. `rest` ends where the looked-up
// path ends and `path_begin` is where that path begins: a short rest is read as the word that
// ends the path, which lies inside it once the path has 8 bytes.
inline std::uint64_t front_word(std::string_view rest, const char* path_begin) {
  const std::size_t size = rest.size();
  if (size >= 8) return load8(rest.data());
  if (size == 0) return 0;
  const char* end = rest.data() + size;
  if (end - path_begin >= 8) return load8(end - 8) >> (8 * (8 - size));
  std::uint64_t word = 0;
  for (std::size_t k = 0; k < size; ++k) {
    word |= std::uint64_t{static_cast<unsigned char>(rest[k])} << (8 * k);
  }
  return word;
}

// Whether `path` starts with the text of n.
inline bool starts_with_text(std::string_view path, const Slot* n, const char* path_begin) {
  const std::size_t size = n->text_size;
  if (path.size() < size) return false;
  if (((front_word(path, path_begin) ^ n->text_word) & n->text_mask) != 0) return false;
  return size <= 8 || same_bytes(path.data() + 8, n->text + 8, size - 8);
}

// The length of the path segment that starts `rest`: up to the next '/' or the end. `rest` ends
// where the looked-up path ends, and `path_begin` is where that path begins: the last few bytes
// are read as the word that ends the path, which lies inside it once the path has 8 bytes.
inline std::size_t segment_size(std::string_view rest, const char* path_begin) {
  const char* p = rest.data();
  std::size_t k = 0;
  for (; rest.size() - k >= 8; k += 8) {
    if (const std::uint64_t marks = bytes_equal_to(load8(p + k), '/')) {
      return k + first_marked_byte(marks);
    }
  }
  const std::size_t left = rest.size() - k;
  if (left == 0) return k;
  const char* end = p + rest.size();
  if (end - path_begin >= 8) {
    // Shifted so that the bytes before p + k fall off; the zeros shifted in are not '/'.
    const std::uint64_t tail = load8(end - 8) >> (8 * (8 - left));
    const std::uint64_t marks = bytes_equal_to(tail, '/');
    return marks ? k + first_marked_byte(marks) : rest.size();
  }
  while (k < rest.size() && p[k] != '/') ++k;
  return k;
}

// One walk down the table, for `find`. Where a node has both a matching static child and a
// wildcard child, the static child is tried first in a nested walk; if that walk fails in one of
// the places Gin backtracks from, the wildcard child is tried with the parameters rolled back.
// A nested walk (kNested) returns false where it fails, so that the enclosing walk can take its
// wildcard instead; the outermost walk always returns true and leaves its verdict in `out`.
inline bool matched(const Slot* n, const Tree::Table& table, Match& out) {
  out.route = n->route;
  out.full_path = table.full_paths[static_cast<std::size_t>(n - table.slots.data())];
  return true;
}

template <bool kNested>
bool walk(const Tree::Table& table, const Slot* n, std::string_view path, const char* path_begin,
          Params& params, Match& out) {
  for (;;) {
    const std::size_t size = n->text_size;
    if (!starts_with_text(path, n, path_begin)) {
      // The path ends inside this node, or differs from it.
      const bool tsr =
          is_slash(path) || (size == path.size() + 1 && n->text[size - 1] == '/' &&
                             same_bytes(path.data(), n->text, path.size()) && n->route != kNoRoute);
      if (kNested && !tsr) return false;
      out.trailing_slash_redirect = tsr;
      return true;
    }

    if (path.size() == size) {
      if (n->route != kNoRoute) {
        return matched(n, table, out);
      }
      if (kNested && !is_slash(path)) return false;
      if (is_slash(path) && n->wild_child && n->kind != Kind::root) {
        out.trailing_slash_redirect = true;
        return true;
      }
      if (const Slot* c = static_child(n, '/')) {
        out.trailing_slash_redirect =
            (c->text_size == 1 && c->route != kNoRoute) ||
            (c->kind == Kind::catch_all && first_child(c)->route != kNoRoute);
      }
      return true;
    }

    path.remove_prefix(size);
    if (const Slot* child = static_child(n, path.front())) {
      if (!n->wild_child) {
        n = child;
        continue;
      }
      const std::size_t mark = params.size();
      if (walk<true>(table, child, path, path_begin, params, out)) return true;
      params.resize(mark);
    } else if (!n->wild_child) {
      if (kNested && !is_slash(path)) return false;
      out.trailing_slash_redirect = is_slash(path) && n->route != kNoRoute;
      return true;
    }

    n = first_child(n) + n->static_count;  // the wildcard child
    if (n->kind == Kind::param) {
      for (;;) {
        const std::size_t end = segment_size(path, path_begin);
        params.push_back({{n->text + 1, n->text_size - 1}, path.substr(0, end)});
        if (end < path.size()) {
          if (n->child_count == 0) {
            out.trailing_slash_redirect = path.size() == end + 1;
            return true;
          }
          path.remove_prefix(end);
          const Slot* c = first_child(n);
          if (!c->slash_then_param || path.size() == 1) {
            n = c;
            break;
          }
          // Between two params ("/:owner/:repo") the '/' has matched: straight to the next.
          path.remove_prefix(1);
          n = first_child(c);
          continue;
        }
        if (n->route != kNoRoute) {
          return matched(n, table, out);
        }
        if (n->child_count == 1) {
          const Slot* c = first_child(n);
          out.trailing_slash_redirect =
              (c->text_size == 1 && c->text[0] == '/' && c->route != kNoRoute) ||
              (c->text_size == 0 && c->static_count == 1 && c->indices[0] == '/');
        }
        return true;
      }
      continue;
    }
    // catch-all leaf: the value keeps its leading '/'
    params.push_back({{n->text + 2, n->text_size - 2}, path});
    return matched(n, table, out);
  }
}

}  // namespace

Tree::Table::Table(const Node* root, std::size_t node_count)
    : slots(node_count), full_paths(node_count) {
  std::vector<const Node*> order;  // order[i] becomes slots[i]
  order.reserve(node_count);
  order.push_back(root);
  std::vector<std::size_t> pending{0};  // slots whose children are still to be laid out
  while (!pending.empty()) {
    const std::size_t i = pending.back();
    pending.pop_back();
    const Node* n = order[i];
    // Every node but a param has one indexed child per index byte, then its wildcard child.
    assert(n->kind == Kind::param ||
           n->children.size() == n->indices.size() + (n->wild_child ? 1 : 0));
    const std::string& indices = n->indices;
    const std::vector<Node*>& group = n->children;
    Slot& s = slots[i];
    s.text = n->path.data();
    s.text_size = static_cast<std::uint32_t>(n->path.size());
    s.children = slots.data() + order.size();
    s.children_follow = order.size() == i + 1;
    s.route = n->route;
    s.static_count = static_cast<std::uint16_t>(indices.size());
    s.child_count = static_cast<std::uint16_t>(group.size());
    s.kind = n->kind;
    s.wild_child = n->wild_child;
    s.slash_then_param = n->path == "/" && indices.empty() && n->wild_child && group.size() == 1 &&
                         group.front()->kind == Kind::param;
    std::fill(std::begin(s.indices), std::end(s.indices), indices.empty() ? '\0' : indices[0]);
    indices.copy(s.indices, Slot::kInlineIndices);
    s.more_indices = indices.size() > Slot::kInlineIndices
                         ? indices.data() + Slot::kInlineIndices
                         : nullptr;  // the builder's bytes: the table goes before they change
    s.text_word = 0;
    s.text_mask = 0;
    for (std::size_t k = 0; k < std::min<std::size_t>(n->path.size(), 8); ++k) {
      s.text_word |= std::uint64_t{static_cast<unsigned char>(n->path[k])} << (8 * k);
      s.text_mask |= std::uint64_t{0xFF} << (8 * k);
    }
    full_paths[i] = n->full_path;
    // The last child is laid out next, so that its children follow it, and theirs them.
    for (const Node* child : group) {
      pending.push_back(order.size());
      order.push_back(child);
    }
  }
  assert(order.size() == node_count);
}

inline const Tree::Table& Tree::table() const {
  if (const Table* t = table_.load(std::memory_order_acquire)) [[likely]] {
    return *t;
  }
  return build_table();
}

void Tree::prepare() const {
  table();
}

[[gnu::noinline]] const Tree::Table& Tree::build_table() const {
  static std::mutex building;
  const std::lock_guard lock(building);
  if (const Table* t = table_.load(std::memory_order_relaxed)) return *t;
  table_storage_ = std::make_unique<const Table>(root(), nodes_.size());
  table_.store(table_storage_.get(), std::memory_order_release);
  return *table_storage_;
}

Match Tree::find(std::string_view path, Params& params) const {
  const Table& t = table();
  const std::size_t base = params.size();
  Match m;
  walk<false>(t, t.slots.data(), path, path.data(), params, m);
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
