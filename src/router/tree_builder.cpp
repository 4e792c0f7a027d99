// Building the radix tree: Tree::add validates a pattern, checks it against the registered
// ones, then inserts it, splitting nodes and creating param and catch-all nodes (Gin 1.8.1's
// addRoute and insertChild).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "router/flat_table.hpp"  // add() discards the lookup table, ~Tree destroys it
#include "router/tree.hpp"
#include "router/tree_node.hpp"
#include "sloe/errors.hpp"

namespace sloe::router {

namespace {

using Node = Tree::Node;

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
  new_node()->kind = NodeKind::root;
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
    if (n->kind == NodeKind::param && c == '/' && n->children.size() == 1) {
      n = n->children.front();
      continue;
    }
    if (const std::size_t pos = n->indices.find(c); pos != npos) {
      n = n->children[pos];
      continue;
    }
    if (c != ':' && c != '*' && n->kind != NodeKind::catch_all) return;
    if (n->wild_child) {
      const Node* w = n->children.back();
      if (w->kind != NodeKind::catch_all && path.starts_with(w->path) &&
          (path.size() == w->path.size() || path[w->path.size()] == '/')) {
        n = w;
        continue;
      }
      if (w->kind == NodeKind::catch_all && path == w->path) {
        throw_conflict(full, w->full_path, "the pattern is already registered");
      }
      const std::string_view seg = w->kind == NodeKind::catch_all ? path : up_to_slash(path);
      std::string reason = "'";
      reason.append(seg).append("' conflicts with existing wildcard '").append(w->path);
      reason.append("' in existing prefix '").append(done).append(w->path).append("'");
      throw_conflict(full, route_below(w), reason);
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
    if (n->kind == NodeKind::param && c == '/' && n->children.size() == 1) {
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
    if (c != ':' && c != '*' && n->kind != NodeKind::catch_all) {
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
      param->kind = NodeKind::param;
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
    holder->kind = NodeKind::catch_all;
    holder->wild_child = true;
    holder->full_path = full;
    add_child(n, holder);
    n->indices.assign(1, '/');
    ++holder->priority;
    Node* leaf = new_node();
    leaf->kind = NodeKind::catch_all;
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

}  // namespace sloe::router
