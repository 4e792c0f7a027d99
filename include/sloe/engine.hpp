#pragma once
// sloe::Engine: the router plus the server (Gin's `gin.Engine`).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/async/scope.hpp"
#include "sloe/async/task_pool.hpp"
#include "sloe/context/context_copy.hpp"
#include "sloe/options.hpp"
#include "sloe/router/router_group.hpp"

namespace sloe {

namespace detail {
class EngineCore;
struct EngineAccess;
}  // namespace detail

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
  // Background tasks queued or running when shutdown() began, or spawned during it: each is
  // counted once in exactly one of the three (see sloe::DrainReport).
  std::size_t tasks_finished = 0;   // returned in time, their scope not cancelled
  std::size_t tasks_cancelled = 0;  // dropped from the queue, or returned after their scope
                                    // was cancelled (the grace period ended)
  std::size_t tasks_abandoned = 0;  // ignored cancellation; left running, detached
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
  /// Handlers for requests whose path only other methods' routes match, after the global
  /// middleware; used when EngineOptions::handle_method_not_allowed is on. Without them the
  /// answer is 405 "405 method not allowed" with an Allow header.
  template <class... Handlers>
  void no_method(Handlers&&... handlers) {
    set_no_method(chain(std::forward<Handlers>(handlers)...));
  }
  /// Every registered route in registration order.
  std::vector<RouteInfo> routes() const;

  /// Runs `job_fn(job)` on the background task pool (Gin's `go func() { ... }(c.Copy())`).
  /// An exception escaping it is caught, logged with the request id, method and path, and
  /// counted; shutdown() waits for it up to the grace period, then cancels `job.scope()`.
  /// Throws sloe::TaskQueueFull when EngineOptions::task_queue_limit tasks already wait.
  ///
  ///   app.spawn(c.copy(), [](sloe::ContextCopy& job) {
  ///     job.info("Async processing user: {}", job.param("id"));
  ///   });
  template <class Fn>
  void spawn(ContextCopy job, Fn&& job_fn) {
    TaskInfo info{std::string(job.request_id()), std::string(job.method()),
                  std::string(job.path()), std::string(job.trace_id()),
                  std::string(job.span_id())};
    Scope scope = job.scope();
    tasks().spawn(std::move(info), std::move(scope),
                  [job = std::move(job), fn = std::forward<Fn>(job_fn)](const Scope& task) mutable {
                    job.scope_ = task;  // a child of the copy's scope that drain() can cancel
                    fn(job);
                  });
  }
  /// The engine's background task pool, started on first use.
  TaskPool& tasks();
  /// The engine's lifetime: cancelled when shutdown() gives up waiting for background work.
  const Scope& lifetime() const;
  /// The background task pool's counters; all 0 until the pool starts (tasks() or spawn()):
  /// unlike tasks(), reading them never starts it. Safe from any thread.
  TaskPoolStats task_stats() const;

  /// Listens on "host:port" and serves until SIGINT/SIGTERM (or shutdown() from another
  /// thread), then shuts down gracefully with EngineOptions::shutdown_grace and returns.
  void run(std::string_view address = "127.0.0.1:8080");
  /// Listens and serves on worker threads, and returns at once. Port 0 picks a free port.
  void start(std::string_view address);
  /// The port being listened on (after start()).
  std::uint16_t port() const;
  /// Client connections open now, over every worker thread; 0 before start(). Safe from any
  /// thread, e.g. a metrics scrape (sloe::register_engine_metrics).
  std::size_t open_connections() const;
  /// Stops accepting, lets in-flight requests finish for up to `grace`, closes idle
  /// connections, then closes the rest. Safe from any thread; later calls return the report.
  ShutdownReport shutdown(std::chrono::milliseconds grace);
  ShutdownReport shutdown();

  /// The options the engine was made with.
  const EngineOptions& config() const;

 private:
  friend struct detail::EngineAccess;  // sloe's testing client and its own tests
  explicit Engine(std::unique_ptr<detail::EngineCore> core);
  void set_no_route(HandlersChain handlers);
  void set_no_method(HandlersChain handlers);

  std::unique_ptr<detail::EngineCore> core_;
};

}  // namespace sloe
