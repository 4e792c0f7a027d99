// Tree::find: the tree laid out as one array of cache-line slots (Tree::Table), built once after
// registration, and the allocation-free walk down it with Gin 1.8.1's backtracking and
// trailing-slash recommendations.

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>

#include "router/flat_table.hpp"
#include "router/tree.hpp"
#include "router/tree_node.hpp"

namespace sloe::router {

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
      if (is_slash(path) && n->wild_child && n->kind != NodeKind::root) {
        out.trailing_slash_redirect = true;
        return true;
      }
      if (const Slot* c = static_child(n, '/')) {
        out.trailing_slash_redirect =
            (c->text_size == 1 && c->route != kNoRoute) ||
            (c->kind == NodeKind::catch_all && first_child(c)->route != kNoRoute);
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
    if (n->kind == NodeKind::param) {
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
    assert(n->kind == NodeKind::param ||
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
                         group.front()->kind == NodeKind::param;
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

}  // namespace sloe::router
