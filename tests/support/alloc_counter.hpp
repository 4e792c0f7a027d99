#pragma once
// Counts heap allocations in a test or benchmark binary: alloc_counter.cpp replaces the global
// operator new, so every `new` (and every std::allocator allocation) is seen.

#include <cstdint>

namespace sloe::bench {

/// Heap allocations made by this process so far, on any thread.
std::uint64_t allocations();

}  // namespace sloe::bench
