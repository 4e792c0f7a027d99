#pragma once

#include <functional>
#include <string_view>
#include <vector>

namespace sloe {

class Context;

/// A request handler or middleware: `[](sloe::Context& c) { ... }`. Middleware calls `c.next()`
/// to run the rest of the chain, or `c.abort()` to stop it.
using Handler = std::function<void(Context&)>;
using HandlersChain = std::vector<Handler>;

/// A path parameter: `/user/:id` matched by `/user/42` gives {"id", "42"}.
struct Param {
  std::string_view key;
  std::string_view value;

  friend bool operator==(const Param&, const Param&) = default;
};

}  // namespace sloe
