#pragma once
// sloe::Engine: the router plus the server (Gin's `gin.Engine`).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/options.hpp"
#include "sloe/router/router_group.hpp"

namespace sloe {

/// A registered route, as `routes()` lists it.
struct RouteInfo {
  std::string method;
  std::string path;
  std::size_t handlers = 0;
};

/// What a graceful shutdown did.
struct ShutdownReport {
  std::size_t connections_closed = 0;  // closed cleanly, after their last answer
  std::size_t connections_forced = 0;  // still busy when the grace period ended
  std::chrono::milliseconds took{0};
};

class Engine : public RouterGroup {
 public:
  /// A bare engine: no middleware (Gin's `gin.New()`).
  explicit Engine(EngineOptions options = {});
  /// An engine with logger() and recovery() (Gin's `gin.Default()`).
  static Engine with_defaults(EngineOptions options = {});

  Engine(Engine&& other) noexcept;
  Engine& operator=(Engine&&) = delete;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  /// Handlers for requests that match no route, after the global middleware; without them
  /// the answer is 404 "404 page not found".
  template <class... Handlers>
  void no_route(Handlers&&... handlers) {
    set_no_route(chain(std::forward<Handlers>(handlers)...));
  }
  /// Every registered route in registration order.
  std::vector<RouteInfo> routes() const;

  /// Listens on "host:port" and serves until SIGINT/SIGTERM (or shutdown() from another
  /// thread), then shuts down gracefully with EngineOptions::shutdown_grace and returns.
  void run(std::string_view address = "127.0.0.1:8080");
  /// Listens and serves on worker threads, and returns at once. Port 0 picks a free port.
  void start(std::string_view address);
  /// The port being listened on (after start()).
  std::uint16_t port() const;
  /// Stops accepting, lets in-flight requests finish for up to `grace`, closes idle
  /// connections, then closes the rest. Safe from any thread; later calls return the report.
  ShutdownReport shutdown(std::chrono::milliseconds grace);
  ShutdownReport shutdown();

  /// The options the engine was made with.
  const EngineOptions& config() const;
  detail::EngineCore& core() { return *core_owner_; }

 private:
  explicit Engine(std::unique_ptr<detail::EngineCore> core);
  void set_no_route(HandlersChain handlers);

  std::unique_ptr<detail::EngineCore> core_owner_;
};

}  // namespace sloe
