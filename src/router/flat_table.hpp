#pragma once
// Tree::Table: the radix tree laid out for `Tree::find` (flat_table.cpp builds and walks it).

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "router/tree_node.hpp"

namespace sloe::router {

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
    NodeKind kind;
    bool wild_child;
    bool children_follow;   // children == this + 1
    bool slash_then_param;  // the text is "/" and the only child a param, as in "/:a/:b"
  };

  Table(const Node* root, std::size_t node_count);

  std::vector<Slot> slots;                   // slots[0] is the root
  std::vector<std::string_view> full_paths;  // the pattern of each slot's route
};

}  // namespace sloe::router
