#pragma once
// The per-method radix tree that maps a request path to a route id, with Gin 1.8.1's matching
// rules: static segments, `:param` segments, a trailing `*catchall`, static and param children
// under one node (with backtracking), and trailing-slash redirect recommendations.
// Built in tree_builder.cpp, looked up in flat_table.cpp, searched case-insensitively in
// fixed_path_search.cpp.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/context/handler.hpp"

namespace sloe::router {

/// One matched path parameter. `key` views into the tree, `value` into the looked-up path.
// The public sloe::Param, so a Context hands out the router's params without copying.
using Param = sloe::Param;

/// Parameters in the order they appear in the pattern. Caller-owned and reused across lookups.
using Params = std::vector<Param>;

/// The route id of a miss.
inline constexpr std::uint32_t kNoRoute = UINT32_MAX;

/// The result of `Tree::find`.
struct Match {
  /// The id given to `Tree::add`, or `kNoRoute` on a miss.
  std::uint32_t route = kNoRoute;
  /// The registered pattern, e.g. "/users/:id"; valid as long as the tree lives.
  std::string_view full_path;
  /// On a miss: a route exists for the same path with (or without) a trailing slash.
  bool trailing_slash_redirect = false;
};

/// A radix tree of path patterns for one HTTP method. Built single-threaded with `add`, then
/// read concurrently with `find`: lookups are const and allocate nothing once `params` has room
/// (the first lookup after an `add` lays the tree out for lookups, once, and allocates).
class Tree {
 public:
  Tree();
  ~Tree();
  /// A moved-from tree may only be assigned to or destroyed.
  Tree(Tree&&) noexcept;
  Tree& operator=(Tree&&) noexcept;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  /// Registers `path` (must start with '/') under `route`. Throws sloe::RouteConflict, naming the
  /// new pattern and the existing one, when the pattern is malformed or clashes with a registered
  /// one; the tree is left unchanged in that case.
  void add(std::string_view path, std::uint32_t route);

  /// Looks up `path`. Appends its parameters to `params` (views into `path` and into the tree);
  /// on a miss `params` is left as it was. Allocates nothing when
  /// `params.capacity() - params.size() >= max_params()`.
  Match find(std::string_view path, Params& params) const;

  /// Lays the tree out for lookups now, so that no request pays for it (the engine does this
  /// when it starts serving).
  void prepare() const;

  /// The largest number of parameters of any registered pattern: reserve this much once.
  std::size_t max_params() const { return max_params_; }

  /// Case-insensitive lookup for Gin's RedirectFixedPath: the canonical spelling of `path` if a
  /// route matches it, else (with `fix_trailing_slash`) of `path` with its trailing slash toggled.
  /// Parameter values keep the request's spelling. Used on the miss path only; may allocate.
  std::optional<std::string> find_case_insensitive(std::string_view path,
                                                   bool fix_trailing_slash) const;

  /// Whether no route has been added.
  bool empty() const;

  struct Node;
  struct Table;

 private:
  const Table& table() const;
  const Table& build_table() const;
  Node* new_node();
  Node* root() const { return nodes_.front().get(); }
  void check_insert(std::string_view path) const;
  void insert(std::string_view path, std::uint32_t route);
  void insert_wildcards(Node* n, std::string_view path, std::string_view full_path,
                        std::uint32_t route);

  std::vector<std::unique_ptr<Node>> nodes_;  // owns every node; nodes_[0] is the root
  std::deque<std::string> patterns_;          // node paths and full paths view into these
  std::size_t max_params_ = 0;
  // The nodes laid out for `find`, built by the first lookup after an `add` (registration is
  // done by then, and a route table of any size is laid out once, not once per route).
  // Concurrent first lookups race to build it: the atomic publishes it, a mutex builds it once.
  mutable std::unique_ptr<const Table> table_storage_;
  mutable std::atomic<const Table*> table_{nullptr};
};

}  // namespace sloe::router
