#include "sloe/engine.hpp"

#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <stdexcept>

#include "context/request_id.hpp"
#include "engine/engine_core.hpp"
#include "http/field_syntax.hpp"
#include "http/url.hpp"
#include "net/server.hpp"
#include "sloe/context/context.hpp"
#include "sloe/middleware/logger.hpp"
#include "sloe/middleware/recovery.hpp"

namespace sloe {

namespace detail {

namespace {

http::Limits limits_of(const EngineOptions& o) {
  return {.max_header_bytes = o.max_header_bytes,
          .max_target_bytes = o.max_target_bytes,
          .max_headers = o.max_headers,
          .max_body_bytes = o.max_body_bytes,
          .max_trailer_bytes = o.max_header_bytes};
}

}  // namespace

EngineCore::EngineCore(EngineOptions options)
    : options_(std::move(options)), limits_(limits_of(options_)) {
  if (!http::is_token(options_.request_id.header)) {
    throw std::invalid_argument(fmt::format(
        "sloe: EngineOptions::request_id.header \"{}\" is not a header name (letters, digits "
        "and !#$%&'*+-.^_`|~ only)",
        options_.request_id.header));
  }
  // spdlog's registry is a function-local static inside libspdlog: made here, before any worker
  // or task pool thread exists, every thread reaches it through its own creation. Made first
  // by two threads at once, ThreadSanitizer could not see the library's guard and reported a
  // race (a background task's first log line against the "listening" line).
  spdlog::default_logger_raw();
  rebuild_no_route_chain();
}

EngineCore::~EngineCore() {
  if (server_) shutdown(std::chrono::milliseconds(0));
}

void EngineCore::require_not_frozen(std::string_view what) const {
  if (frozen_.load()) {
    throw std::logic_error(
        fmt::format("sloe: cannot {} after the engine started serving; register everything before "
                    "run()/start() or creating a testing::Client",
                    what));
  }
}

void EngineCore::add_route(std::string_view method, std::string path, HandlersChain handlers) {
  require_not_frozen(fmt::format("add route {} {}", method, path));
  if (path.empty() || path.front() != '/') {
    throw RouteConflict(fmt::format("sloe: route path \"{}\" must begin with '/'", path));
  }
  if (handlers.empty()) {
    throw std::invalid_argument(fmt::format("sloe: route {} {} has no handler", method, path));
  }
  if (!http::is_token(method)) {
    throw std::invalid_argument(fmt::format(
        "sloe: HTTP method \"{}\" for route {} is not a token (RFC 9110 §9.1)", method, path));
  }
  auto& tree = tree_slot(method);
  if (!tree) tree = std::make_unique<router::Tree>();
  tree->add(path, static_cast<std::uint32_t>(routes_.size()));
  max_params_ = std::max(max_params_, tree->max_params());
  routes_.push_back(Route{std::string(method), std::move(path), std::move(handlers)});
}

void EngineCore::set_global_middleware(HandlersChain handlers) {
  require_not_frozen("add middleware");
  global_middleware_ = std::move(handlers);
  rebuild_no_route_chain();
}

void EngineCore::set_no_route(HandlersChain handlers) {
  require_not_frozen("set no_route handlers");
  no_route_handlers_ = std::move(handlers);
  rebuild_no_route_chain();
}

void EngineCore::set_no_method(HandlersChain handlers) {
  require_not_frozen("set no_method handlers");
  no_method_handlers_ = std::move(handlers);
  rebuild_no_route_chain();
}

void EngineCore::rebuild_no_route_chain() {
  no_route_chain_ = global_middleware_;
  no_route_chain_.insert(no_route_chain_.end(), no_route_handlers_.begin(),
                         no_route_handlers_.end());
  no_method_chain_ = global_middleware_;
  no_method_chain_.insert(no_method_chain_.end(), no_method_handlers_.begin(),
                          no_method_handlers_.end());
}

void EngineCore::freeze() {
  frozen_.store(true);
  for (const auto& tree : trees_) {
    if (tree) tree->prepare();
  }
  for (const auto& [name, tree] : extension_trees_) tree->prepare();
}

std::unique_ptr<router::Tree>& EngineCore::tree_slot(std::string_view method) {
  const http::MethodId id = http::method_id(method);
  if (id < http::kMethodCount) return trees_[id];
  for (auto& [name, tree] : extension_trees_) {
    if (name == method) return tree;
  }
  return extension_trees_.emplace_back(std::string(method), nullptr).second;
}

const router::Tree* EngineCore::tree_of(const http::Request& request) const {
  if (request.method_id < http::kMethodCount) return trees_[request.method_id].get();
  for (const auto& [name, tree] : extension_trees_) {
    if (name == request.method) return tree.get();
  }
  return nullptr;
}

void EngineCore::run_chain(Context& c) {
  try {
    c.next();
  } catch (...) {
    c.abort_with_exception(std::current_exception());
  }
}

void EngineCore::assign_request_id(const http::Request& request, ContextState& s) {
  const RequestIdOptions& ids = options_.request_id;
  std::string_view sent = ids.trust_incoming ? request.header(ids.header) : std::string_view();
  if (is_sane_request_id(sent)) {
    s.request_id.assign(sent);
  } else if (ids.generate) {
    s.request_id = ids.generate();
    if (!is_sane_request_id(s.request_id)) generate_request_id(s.request_id);
  } else {
    generate_request_id(s.request_id);
  }
  s.trace_id.assign(trace_id_of(request.header("traceparent")));
  s.response_headers.set(ids.header, s.request_id);
}

bool EngineCore::decode_path(const http::Request& request, ContextState& s) {
  if (!http::needs_decoding(request.path, false)) return true;
  s.decoded_path.clear();
  if (http::percent_decode(request.path, s.decoded_path, false)) {
    s.path = s.decoded_path;
    return true;
  }
  s.response_headers.set("Content-Type", "text/plain; charset=utf-8");
  s.body.assign("invalid percent-encoding in the request path");
  s.status = 400;
  return false;
}

EngineRequestHandler::EngineRequestHandler(EngineCore& core) : core_(core) {
  contexts_.lifetime = &core.lifetime();
  contexts_.trusted_proxies = &core.options().trusted_proxies;
  contexts_.request_timeout = core.options().request_timeout;
  contexts_.request_id_header = core.options().request_id.header;
}

void EngineRequestHandler::serve(http::Exchange& exchange) {
  core_.serve(exchange, contexts_);
}

std::unique_ptr<http::RequestHandler> EngineCore::make_request_handler() {
  return std::make_unique<EngineRequestHandler>(*this);
}

void EngineCore::serve(http::Exchange& exchange, ThreadContexts& contexts) {
  Context& c = contexts.pool.acquire();
  ContextAccess::begin(c, exchange, contexts);
  ContextState& s = ContextAccess::state(c);
  const http::Request& request = exchange.request();
  if (options_.request_ids) assign_request_id(request, s);
  if (!decode_path(request, s)) {
    s.response_headers.set("Connection", "close");
  } else {
    if (s.params.capacity() < max_params_) s.params.reserve(max_params_);
    RouteOutcome outcome = route(request, s);
    if (s.chain) run_chain(c);
    // A no-route or no-method chain that wrote nothing gets Gin's default answer.
    if (!outcome.default_body.empty() && s.status == outcome.default_status && s.body.empty()) {
      if (!s.response_headers.contains("Content-Type")) {
        s.response_headers.set("Content-Type", "text/plain");
      }
      s.body.assign(outcome.default_body);
    }
  }
  if (s.pending) {
    s.returned = true;
    return;
  }
  ContextAccess::finish(c);
}

void EngineCore::start(std::string_view address) {
  freeze();
  if (server_) throw std::logic_error("sloe: the engine is already serving");
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("sloe: listen address \"{}\" must be HOST:PORT, e.g. 127.0.0.1:8080", address));
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  std::string_view port_text = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    throw std::invalid_argument(
        fmt::format("sloe: invalid port in listen address \"{}\"", address));
  }
  if (host.empty()) host = "0.0.0.0";
  server_ = std::make_unique<net::Server>(
      *this, net::ServerOptions{.threads = options_.threads,
                                .header_timeout = options_.header_timeout,
                                .body_timeout = options_.body_timeout,
                                .idle_timeout = options_.idle_timeout,
                                .write_timeout = options_.write_timeout});
  server_->start(host, static_cast<std::uint16_t>(port));
}

std::uint16_t EngineCore::port() const {
  return server_ ? server_->port() : 0;
}

std::size_t EngineCore::open_connections() const {
  return server_ ? server_->open_connections() : 0;
}

void EngineCore::wait_for_stop(bool signals) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  asio::signal_set signal_set(io);
  if (signals) {
    signal_set.add(SIGINT);
    signal_set.add(SIGTERM);
    signal_set.async_wait([&](const std::error_code& ec, int signal) {
      if (!ec) spdlog::info("sloe: signal {} received, shutting down", signal);
      io.stop();
    });
  }
  {
    std::lock_guard lock(waiter_mutex_);
    if (stop_requested_.load()) return;
    wake_waiter_ = [&io] { io.stop(); };
  }
  io.run();
  std::lock_guard lock(waiter_mutex_);
  wake_waiter_ = nullptr;
}

TaskPool& EngineCore::tasks() {
  std::call_once(tasks_once_, [this] {
    tasks_ = std::make_unique<TaskPool>(
        TaskPoolOptions{.threads = options_.task_threads, .queue_limit = options_.task_queue_limit},
        lifetime_);
    started_tasks_.store(tasks_.get(), std::memory_order_release);
  });
  return *tasks_;
}

TaskPoolStats EngineCore::task_stats() const {
  const TaskPool* pool = started_tasks_.load(std::memory_order_acquire);
  return pool != nullptr ? pool->stats() : TaskPoolStats{};
}

ShutdownReport EngineCore::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard lock(stop_mutex_);
  if (!shutdown_report_) {
    stop_requested_.store(true);
    auto started = std::chrono::steady_clock::now();
    // The task report starts here, not at the drain: tasks that end while in-flight requests
    // finish (or that the lifetime's cancellation below cuts) belong to this shutdown too. The
    // pool is started if it was not: in-flight handlers may still spawn their first task.
    TaskPool& pool = tasks();
    pool.begin_shutdown();
    // Requests still waiting when the grace period ends are cancelled through their scopes.
    ShutdownReport report;
    if (server_) {
      net::StopReport stopped = server_->stop(grace, [this] { lifetime_.cancel(); });
      report.connections_closed = stopped.connections_closed;
      report.connections_forced = stopped.connections_forced;
    }
    // Background work gets what is left of the grace period, then its scopes are cancelled.
    auto left = std::max(std::chrono::steady_clock::duration::zero(),
                         grace - (std::chrono::steady_clock::now() - started));
    DrainReport drained = pool.drain(left);
    report.tasks_finished = drained.finished;
    report.tasks_cancelled = drained.cancelled;
    report.tasks_abandoned = drained.abandoned;
    lifetime_.cancel();
    report.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    shutdown_report_ = report;
    std::lock_guard waiter_lock(waiter_mutex_);
    if (wake_waiter_) wake_waiter_();
  }
  return *shutdown_report_;
}

}  // namespace detail

// ---- Engine -------------------------------------------------------------------------------

namespace {
std::unique_ptr<detail::EngineCore> make_core(EngineOptions options) {
  return std::make_unique<detail::EngineCore>(std::move(options));
}
}  // namespace

Engine::Engine(EngineOptions options) : Engine(make_core(std::move(options))) {}

Engine::Engine(std::unique_ptr<detail::EngineCore> core)
    : RouterGroup(core.get(), "/", {}, true), core_(std::move(core)) {}

Engine Engine::with_defaults(EngineOptions options) {
  Engine engine(std::move(options));
  engine.use(logger(), recovery());
  return engine;
}

Engine::Engine(Engine&& other) noexcept = default;
Engine::~Engine() = default;

void Engine::set_no_route(HandlersChain handlers) {
  core_->set_no_route(std::move(handlers));
}

void Engine::set_no_method(HandlersChain handlers) {
  core_->set_no_method(std::move(handlers));
}

std::vector<RouteInfo> Engine::routes() const {
  std::vector<RouteInfo> result;
  for (const detail::Route& route : core_->routes()) {
    result.push_back({route.method, route.path, route.handlers.size()});
  }
  return result;
}

void Engine::run(std::string_view address) {
  start(address);
  core_->wait_for_stop(config().handle_signals);
  ShutdownReport report = shutdown(config().shutdown_grace);
  spdlog::info(
      "sloe: stopped in {} ms; connections: {} closed cleanly, {} cut off; background tasks: {} "
      "finished, {} cancelled, {} abandoned",
      report.took.count(), report.connections_closed, report.connections_forced,
      report.tasks_finished, report.tasks_cancelled, report.tasks_abandoned);
}

void Engine::start(std::string_view address) {
  core_->start(address);
}
std::uint16_t Engine::port() const {
  return core_->port();
}
std::size_t Engine::open_connections() const {
  return core_->open_connections();
}
ShutdownReport Engine::shutdown(std::chrono::milliseconds grace) {
  return core_->shutdown(grace);
}
ShutdownReport Engine::shutdown() {
  return shutdown(config().shutdown_grace);
}
const EngineOptions& Engine::config() const {
  return core_->options();
}

TaskPool& Engine::tasks() {
  return core_->tasks();
}
const Scope& Engine::lifetime() const {
  return core_->lifetime();
}
TaskPoolStats Engine::task_stats() const {
  return core_->task_stats();
}

}  // namespace sloe
