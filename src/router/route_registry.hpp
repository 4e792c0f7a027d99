#pragma once
// The router layer's door to whatever serves its routes: a RouterGroup hands what it is given
// to a RouteRegistry, and the engine implements one, so the router needs no engine header.

#include <string>
#include <string_view>

#include "sloe/context/handler.hpp"

namespace sloe::detail {

/// Where RouterGroups register routes and the root group's middleware (the engine).
class RouteRegistry {
 public:
  virtual ~RouteRegistry() = default;
  /// Registers `handlers`, the group's middleware first, for `method` at the absolute `path`.
  /// Throws when the route is invalid, clashes with one registered before, or comes too late.
  virtual void add_route(std::string_view method, std::string path, HandlersChain handlers) = 0;
  /// The root group's middleware, which also runs before the no-route and no-method handlers.
  virtual void set_global_middleware(HandlersChain handlers) = 0;
};

}  // namespace sloe::detail
