#include "net/server.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <csignal>

#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>

#include "net/connection.hpp"

namespace sloe::net {

namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(250);
}

void WorkerExecutor::post(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (io_) asio::post(*io_, std::move(fn));
}

void WorkerExecutor::post_after(std::chrono::steady_clock::duration delay,
                                std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (!io_) return;
  auto timer = std::make_shared<asio::steady_timer>(*io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const std::error_code& ec) {
    if (!ec) fn();
  });
}

void WorkerExecutor::stop() {
  std::lock_guard lock(mutex_);
  io_ = nullptr;
}

Worker::Worker(http::Application& application, const ServerOptions& options)
    : application_(application), options_(options), handler_(application.make_request_handler()) {}

Worker::~Worker() {
  if (thread_.joinable()) stop_and_join();
}

void Worker::listen(const asio::ip::tcp::endpoint& endpoint) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  int one = 1;
  if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt(SO_REUSEPORT)");
  }
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Worker::local_port() const {
  return acceptor_.local_endpoint().port();
}

void Worker::run_thread() {
  work_.emplace(io_.get_executor());
  accept();
  sweep();
  thread_ = std::thread([this] {
    // sendfile(2) has no MSG_NOSIGNAL: a client gone in the middle of a file would raise
    // SIGPIPE, whose default action ends the process. Blocked on the worker threads only, it
    // comes back as EPIPE, and the process's own disposition is left as the application set it.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    detail::set_this_thread_executor(executor_);
    io_.run();
    detail::set_this_thread_executor(nullptr);
  });
}

void Worker::accept() {
  acceptor_.async_accept([this](const std::error_code& ec, asio::ip::tcp::socket socket) {
    if (shutting_down_ || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: back off instead of spinning on the error.
      spdlog::warn("sloe: accept failed: {}; retrying in 50 ms", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](const std::error_code& wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    connections_.push_back(std::make_unique<Connection>(*this, std::move(socket)));
    open_.fetch_add(1, std::memory_order_relaxed);
    connections_.back()->start(std::prev(connections_.end()));
    accept();
  });
}

void Worker::sweep() {
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    auto now = std::chrono::steady_clock::now();
    for (auto it = connections_.begin(); it != connections_.end();) {
      Connection& connection = **it++;  // check_deadline may destroy it
      connection.check_deadline(now);
    }
    sweep();
  });
}

void Worker::retire(Connection* connection, bool forced) {
  (forced ? closed_forced_ : closed_cleanly_).fetch_add(1);
  open_.fetch_sub(1, std::memory_order_relaxed);
  // Destroyed from the event loop, never inside one of its own calls.
  asio::post(io_, [this, position = connection->position()] { connections_.erase(position); });
}

void Worker::begin_shutdown() {
  asio::post(io_, [this] {
    shutting_down_ = true;
    std::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    for (auto it = connections_.begin(); it != connections_.end();) {
      Connection& connection = **it++;
      connection.begin_shutdown();
    }
  });
}

void Worker::force_close() {
  asio::post(io_, [this] {
    for (auto it = connections_.begin(); it != connections_.end();) {
      Connection& connection = **it++;
      connection.close(true);
    }
  });
}

void Worker::stop_and_join() {
  static_cast<WorkerExecutor&>(*executor_).stop();
  asio::post(io_, [this] {
    sweep_timer_.cancel();
    work_.reset();
  });
  // Timers of requests answered later (a coroutine's sleep_for) may still be pending: give them
  // a moment, then stop the loop regardless.
  for (int i = 0; i < 100 && !io_.stopped(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

Server::Server(http::Application& application, ServerOptions options)
    : application_(application), options_(options) {}

Server::~Server() {
  if (!stopped_) stop(std::chrono::milliseconds(0), [] {});
}

void Server::start(const std::string& host, std::uint16_t port) {
  std::size_t threads = options_.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  asio::ip::address address = asio::ip::make_address(host);
  port_ = port;
  for (std::size_t i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>(application_, options_);
    worker->listen(asio::ip::tcp::endpoint(address, port_));
    if (i == 0) port_ = worker->local_port();
    workers_.push_back(std::move(worker));
  }
  for (auto& worker : workers_) worker->run_thread();
  spdlog::info("sloe: listening on http://{}:{} with {} worker thread{}",
               address.is_v6() ? "[" + host + "]" : host, port_, threads, threads == 1 ? "" : "s");
}

StopReport Server::stop(std::chrono::milliseconds grace, const std::function<void()>& grace_over) {
  stopped_ = true;
  auto started = std::chrono::steady_clock::now();
  // The report counts what this shutdown closed, not earlier closes (idle or write timeouts).
  std::size_t clean_before = 0;
  std::size_t forced_before = 0;
  for (auto& worker : workers_) {
    clean_before += worker->closed_cleanly();
    forced_before += worker->closed_forced();
    worker->begin_shutdown();
  }
  auto open = [&] {
    std::size_t total = 0;
    for (auto& worker : workers_) total += worker->open_connections();
    return total;
  };
  auto wait_until_closed = [&](std::chrono::steady_clock::time_point deadline) {
    while (open() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_until_closed(started + grace);
  if (open() > 0) {
    grace_over();
    wait_until_closed(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  }
  for (auto& worker : workers_) worker->force_close();
  StopReport report;
  for (auto& worker : workers_) {
    worker->stop_and_join();
    report.connections_closed += worker->closed_cleanly();
    report.connections_forced += worker->closed_forced();
  }
  report.connections_closed -= clean_before;
  report.connections_forced -= forced_before;
  return report;
}

std::size_t Server::open_connections() const {
  std::size_t total = 0;
  for (const auto& worker : workers_) total += worker->open_connections();
  return total;
}

}  // namespace sloe::net
