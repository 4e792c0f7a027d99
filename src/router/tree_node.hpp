#pragma once
// The radix tree's node: what the builder (tree_builder.cpp) makes, the lookup table
// (flat_table.cpp) is laid out from, and the case-insensitive search (fixed_path_search.cpp)
// walks.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "router/tree.hpp"

namespace sloe::router {

/// What a node matches.
enum class NodeKind : std::uint8_t {
  static_text,  // literal bytes
  root,         // the top node (literal bytes too)
  param,        // ":name", matches up to the next '/'
  catch_all,    // an empty holder node, and below it the "/*name" leaf that matches the rest
};

/// One node of the radix tree. Tree::nodes_ owns every node; a node's views point into
/// Tree::patterns_.
struct Tree::Node {
  std::string_view path;        // the bytes this node matches; a view into Tree::patterns_
  std::string indices;          // first byte of each static child, parallel to `children`
  std::vector<Node*> children;  // static children by priority, then at most one wildcard child
  std::string_view full_path;   // the pattern whose route this node holds
  std::uint32_t route = kNoRoute;
  std::uint32_t priority = 0;  // routes in this subtree; busier children are tried first
  NodeKind kind = NodeKind::static_text;
  bool wild_child = false;  // children.back() is a param or catch-all node
};

}  // namespace sloe::router
