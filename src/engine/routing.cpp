// Request → handler chain: the per-method trees, HEAD served by GET routes, and the no-route
// fallback.

#include "engine/engine_core.hpp"

namespace sloe::detail {

namespace {
constexpr std::string_view kNotFoundBody = "404 page not found";
}

RouteOutcome EngineCore::route(const http::Request& request, ContextState& s) {
  router::Match match;
  if (const router::Tree* tree = trees_[request.method_id].get()) {
    match = tree->find(s.path, s.params);
  }
  // RFC 9110 §9.3.2: HEAD is answered like GET when no HEAD route exists.
  if (match.route == router::kNoRoute && request.method_id == http::kMethodHead) {
    if (const router::Tree* get = trees_[http::kMethodGet].get())
      match = get->find(s.path, s.params);
  }
  if (match.route != router::kNoRoute) {
    s.chain = &routes_[match.route].handlers;
    s.full_path = match.full_path;
    return {};
  }
  s.params.clear();
  s.chain = &no_route_chain_;
  s.status = 404;
  return {.default_status = 404, .default_body = kNotFoundBody};
}

}  // namespace sloe::detail
