#pragma once
// The net layer: one worker thread per core, each with its own io_context, listening socket
// (SO_REUSEPORT spreads connections across them), readiness set, Context pool and connections.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "http/exchange.hpp"
#include "http/file_descriptor.hpp"
#include "http/session.hpp"
#include "net/readiness_set.hpp"
#include "sloe/async/executor.hpp"

namespace sloe::net {

/// What the transports need to know of the application's configuration.
struct ServerOptions {
  std::size_t threads = 0;  // 0: one per core
  std::chrono::milliseconds header_timeout{0};
  std::chrono::milliseconds body_timeout{0};
  std::chrono::milliseconds idle_timeout{0};
  std::chrono::milliseconds write_timeout{0};
};

/// What a stop closed.
struct StopReport {
  std::size_t connections_closed = 0;
  std::size_t connections_forced = 0;
};

class Connection;

/// Runs work on a worker's thread for requests answered later; a no-op once the worker stopped.
class WorkerExecutor final : public Executor {
 public:
  explicit WorkerExecutor(asio::io_context& io) : io_(&io) {}
  void post(std::function<void()> fn) override;
  void post_after(std::chrono::steady_clock::duration delay, std::function<void()> fn) override;
  void stop();

 private:
  std::mutex mutex_;
  asio::io_context* io_;
};

/// One event loop on one thread. Owns its connections; everything here runs on that thread
/// except the atomics.
class Worker final : private ReadinessSet::Listener {
 public:
  Worker(http::Application& application, const ServerOptions& options);
  ~Worker();

  void listen(const asio::ip::tcp::endpoint& endpoint);
  std::uint16_t local_port() const;
  void run_thread();
  /// Stop accepting; idle connections close now, busy ones after their current answer.
  void begin_shutdown();
  /// Close every remaining connection.
  void force_close();
  void stop_and_join();

  std::size_t open_connections() const { return open_.load(std::memory_order_relaxed); }
  std::size_t closed_cleanly() const { return closed_cleanly_.load(); }
  std::size_t closed_forced() const { return closed_forced_.load(); }

  const ServerOptions& options() const { return options_; }
  const http::Limits& limits() const { return application_.limits(); }
  http::RequestHandler& handler() { return *handler_; }
  const std::shared_ptr<Executor>& executor() { return executor_; }
  /// Where this worker's connections read: requests are answered straight from it, so only a
  /// connection with half a request, or with a request answered later, keeps bytes of its own.
  http::ReadBuffer& read_buffer() {
    if (!read_buffer_.data)
      read_buffer_.data = std::make_unique_for_overwrite<char[]>(kReadBufferSize);
    return read_buffer_;
  }
  asio::io_context& io() { return io_; }
  ReadinessSet& readiness() { return readiness_; }
  bool shutting_down() const { return shutting_down_; }
  /// A connection finished: the worker destroys it.
  void retire(Connection* connection, bool forced);

 private:
  // The listening socket is ready: accept every connection waiting.
  void on_ready(std::uint32_t events) override;
  void accept();
  void sweep();

  http::Application& application_;
  const ServerOptions& options_;
  std::unique_ptr<http::RequestHandler> handler_;  // this thread's Contexts
  asio::io_context io_{1};
  std::shared_ptr<Executor> executor_ = std::make_shared<WorkerExecutor>(io_);
  ReadinessSet readiness_{io_};
  http::FileDescriptor listener_;
  asio::steady_timer sweep_timer_{io_};
  asio::steady_timer accept_retry_{io_};
  // Large enough for a read of many pipelined requests; small because a request answered later
  // keeps the buffer it was read into until its exchange ends (a long-lived stream holds it).
  static constexpr std::size_t kReadBufferSize = 16 * 1024;
  http::ReadBuffer read_buffer_{nullptr, kReadBufferSize};
  std::list<std::unique_ptr<Connection>> connections_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  bool shutting_down_ = false;
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> closed_cleanly_{0};
  std::atomic<std::size_t> closed_forced_{0};
};

class Server {
 public:
  Server(http::Application& application, ServerOptions options);
  ~Server();

  /// Binds every worker's listening socket and starts the threads. Throws std::system_error when
  /// the address cannot be bound.
  void start(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  /// Connections open now, summed over the workers (Engine::open_connections()). Safe from
  /// any thread once start() returned.
  std::size_t open_connections() const;
  /// Graceful stop; when connections are still busy after `grace`, `grace_over` runs (the
  /// engine cancels its scopes so that waiting handlers can finish) and they get a moment more.
  StopReport stop(std::chrono::milliseconds grace, const std::function<void()>& grace_over);

 private:
  http::Application& application_;
  const ServerOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace sloe::net
