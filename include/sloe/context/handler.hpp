#pragma once

#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sloe/async/task.hpp"

namespace sloe {

class Context;

/// A request handler or middleware: `[](sloe::Context& c) { ... }`. Middleware calls `c.next()`
/// to run the rest of the chain, or `c.abort()` to stop it.
using Handler = std::function<void(Context&)>;
using HandlersChain = std::vector<Handler>;

namespace detail {
/// Runs a coroutine handler: the request stays open until the coroutine finishes.
void run_coroutine_handler(Context& c, Task<> task);

/// A Handler from anything callable with a Context&: a plain handler as it is, a coroutine
/// handler (returning sloe::Task<>) wrapped so that the request waits for it.
template <class F>
Handler to_handler(F&& f) {
  using Result = std::invoke_result_t<std::decay_t<F>&, Context&>;
  if constexpr (std::is_same_v<Result, Task<>>) {
    return [fn = std::forward<F>(f)](Context& c) mutable { run_coroutine_handler(c, fn(c)); };
  } else {
    static_assert(std::is_void_v<Result>,
                  "a sloe handler returns void, or sloe::Task<> for a coroutine handler");
    return Handler(std::forward<F>(f));
  }
}
}  // namespace detail

/// A path parameter: `/user/:id` matched by `/user/42` gives {"id", "42"}.
struct Param {
  std::string_view key;
  std::string_view value;

  friend bool operator==(const Param&, const Param&) = default;
};

}  // namespace sloe
