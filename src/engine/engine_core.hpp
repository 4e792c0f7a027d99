#pragma once
// What an Engine is made of: the route table, one radix tree per method, the global
// middleware, and the server once started. It is the http::Application the transports serve:
// each worker thread gets an EngineRequestHandler (its Context pool) and calls serve() per
// request. Workers share the core read-only after freeze().

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "context/context_state.hpp"
#include "http/exchange.hpp"
#include "http/request.hpp"
#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "router/route_registry.hpp"
#include "router/tree.hpp"
#include "sloe/engine.hpp"

namespace sloe::net {
class Server;
}

namespace sloe::detail {

/// What route() decided besides the chain: the answer a chain that writes nothing gets.
struct RouteOutcome {
  int default_status = 0;
  std::string_view default_body;
};

struct Route {
  std::string method;
  std::string path;
  HandlersChain handlers;
};

class EngineCore;

/// The engine on one worker thread (or in one testing::Client): that thread's Contexts.
class EngineRequestHandler final : public http::RequestHandler {
 public:
  explicit EngineRequestHandler(EngineCore& core);
  void serve(http::Exchange& exchange) override;
  const ThreadContexts& contexts() const { return contexts_; }

 private:
  EngineCore& core_;
  ThreadContexts contexts_;
};

class EngineCore final : public http::Application, public RouteRegistry {
 public:
  explicit EngineCore(EngineOptions options);
  ~EngineCore();

  void add_route(std::string_view method, std::string path, HandlersChain handlers) override;
  void set_global_middleware(HandlersChain handlers) override;
  void set_no_route(HandlersChain handlers);
  void set_no_method(HandlersChain handlers);
  /// Ends registration: from now on the tables are read by many threads at once.
  void freeze();

  /// Runs the handler chain for the request of `exchange` on a Context of `contexts`, and
  /// ends the exchange unless the request is answered later. Never throws.
  void serve(http::Exchange& exchange, ThreadContexts& contexts);

  const EngineOptions& options() const { return options_; }
  const http::Limits& limits() const override { return limits_; }
  std::unique_ptr<http::RequestHandler> make_request_handler() override;
  const std::vector<Route>& routes() const { return routes_; }

  TaskPool& tasks();
  /// The pool's counters, or zeros while tasks() has not started it.
  TaskPoolStats task_stats() const;
  const Scope& lifetime() const { return lifetime_; }

  void start(std::string_view address);
  std::uint16_t port() const;
  std::size_t open_connections() const;
  ShutdownReport shutdown(std::chrono::milliseconds grace);
  /// Blocks until shutdown() was called (or SIGINT/SIGTERM when `signals`).
  void wait_for_stop(bool signals);

 private:
  void require_not_frozen(std::string_view what) const;
  void rebuild_no_route_chain();
  void run_chain(Context& c);
  /// Percent-decodes the path for routing; answers 400 and returns false when it is malformed.
  bool decode_path(const http::Request& request, ContextState& s);
  /// Finds the chain for the request (s.chain, s.full_path, s.params): the route's, or the
  /// no-route chain with status 404. Leaves s.chain null when it answered by itself.
  RouteOutcome route(const http::Request& request, ContextState& s);
  // routing.cpp's miss path: redirects and 405.
  void redirect_trailing_slash(const http::Request& request, ContextState& s);
  bool redirect_fixed_path(const http::Request& request, ContextState& s, const router::Tree& tree);
  void redirect(const http::Request& request, ContextState& s, std::string_view new_path);
  std::string allowed_methods(std::string_view path, ContextState& s) const;
  /// The tree for a method name, made on registration (llhttp's methods by number, extension
  /// methods such as "BREW" by name: Gin routes any token).
  std::unique_ptr<router::Tree>& tree_slot(std::string_view method);
  const router::Tree* tree_of(const http::Request& request) const;
  void assign_request_id(const http::Request& request, ContextState& s);

  EngineOptions options_;
  http::Limits limits_;
  std::vector<Route> routes_;
  std::array<std::unique_ptr<router::Tree>, http::kMethodCount> trees_;
  std::vector<std::pair<std::string, std::unique_ptr<router::Tree>>> extension_trees_;
  HandlersChain global_middleware_;
  HandlersChain no_route_handlers_;
  HandlersChain no_route_chain_;
  HandlersChain no_method_handlers_;
  HandlersChain no_method_chain_;
  std::size_t max_params_ = 0;
  std::atomic<bool> frozen_{false};

  Scope lifetime_ = Scope::background().with_cancel();
  std::once_flag tasks_once_;
  std::unique_ptr<TaskPool> tasks_;
  // tasks_ once made, for readers on other threads that must not start it (task_stats()).
  std::atomic<const TaskPool*> started_tasks_{nullptr};
  std::unique_ptr<net::Server> server_;
  std::mutex stop_mutex_;
  std::optional<ShutdownReport> shutdown_report_;
  std::atomic<bool> stop_requested_{false};
  std::mutex waiter_mutex_;
  std::function<void()> wake_waiter_;  // stops run()'s wait
};

}  // namespace sloe::detail
