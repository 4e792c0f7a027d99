#pragma once
// The Context's lifetime guard (DESIGN.md, invariant 1), inline: every member of Context runs it
// first, from each of the files Context is defined in.

#include <atomic>

#include "sloe/context/context.hpp"

namespace sloe {

namespace detail {
// Its address is unique per live thread and costs one instruction to compute, unlike
// std::this_thread::get_id(), which is a call into libc.
extern thread_local constinit const char this_thread_token;
}  // namespace detail

inline void Context::check() const {
#if SLOE_LIFETIME_GUARD
  if (!live_.load(std::memory_order_relaxed) ||
      owner_.load(std::memory_order_relaxed) != &detail::this_thread_token) [[unlikely]] {
    throw_misuse();
  }
#endif
}

}  // namespace sloe
