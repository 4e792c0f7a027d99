// RouterGroup: Gin's routergroup.go. A group joins its prefix to each relative path and puts its
// middleware in front of each route's handlers, then hands the route to its RouteRegistry.

#include "sloe/router/router_group.hpp"

#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "router/path.hpp"
#include "router/route_registry.hpp"

namespace sloe {

RouterGroup RouterGroup::make_group(std::string_view relative_path,
                                    HandlersChain middleware) const {
  HandlersChain handlers = handlers_;
  handlers.insert(handlers.end(), std::make_move_iterator(middleware.begin()),
                  std::make_move_iterator(middleware.end()));
  return RouterGroup(registry_, router::join_paths(base_path_, relative_path), std::move(handlers),
                     false);
}

void RouterGroup::add_middleware(HandlersChain middleware) {
  handlers_.insert(handlers_.end(), std::make_move_iterator(middleware.begin()),
                   std::make_move_iterator(middleware.end()));
  if (root_) registry_->set_global_middleware(handlers_);
}

void RouterGroup::add_route(std::string_view method, std::string_view relative_path,
                            HandlersChain handlers) {
  HandlersChain combined = handlers_;
  combined.insert(combined.end(), std::make_move_iterator(handlers.begin()),
                  std::make_move_iterator(handlers.end()));
  registry_->add_route(method, router::join_paths(base_path_, relative_path), std::move(combined));
}

void RouterGroup::add_any(std::string_view relative_path, HandlersChain handlers) {
  for (std::string_view method :
       {"GET", "POST", "PUT", "PATCH", "HEAD", "OPTIONS", "DELETE", "CONNECT", "TRACE"}) {
    add_route(method, relative_path, handlers);
  }
}

}  // namespace sloe
