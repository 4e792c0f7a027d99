#include "net/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>

#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>

#include "net/connection.hpp"

namespace sloe::net {

namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(250);

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string address_text(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text,
                sizeof text);
  } else if (address.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text,
                sizeof text);
  }
  return text;
}
}  // namespace

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
  listener_ = http::FileDescriptor(
      ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener_) throw_errno("socket");
  int one = 1;
  if (::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    throw_errno("setsockopt(SO_REUSEADDR)");
  }
  if (::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw_errno("setsockopt(SO_REUSEPORT)");
  }
  if (::bind(listener_.get(), endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
    throw_errno("bind");
  }
  if (::listen(listener_.get(), SOMAXCONN) != 0) throw_errno("listen");
}

std::uint16_t Worker::local_port() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length);
  return address.ss_family == AF_INET6
             ? ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port)
             : ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

void Worker::run_thread() {
  work_.emplace(io_.get_executor());
  if (std::error_code ec = readiness_.add(listener_.get(), *this)) {
    throw std::system_error(ec, "epoll_ctl(EPOLL_CTL_ADD) of the listening socket");
  }
  readiness_.start();
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

void Worker::on_ready(std::uint32_t) {
  accept();
}

void Worker::accept() {
  // Edge-triggered: take every waiting connection, until accept would block.
  while (!shutting_down_ && listener_) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors or memory: back off instead of spinning on the error. No new edge
      // comes for connections already waiting, so the retry accepts them.
      spdlog::warn("sloe: accept failed: {}; retrying in 50 ms",
                   std::generic_category().message(errno));
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](const std::error_code& ec) {
        if (!ec) accept();
      });
      return;
    }
    connections_.push_back(
        std::make_unique<Connection>(*this, http::FileDescriptor(fd), address_text(peer)));
    open_.fetch_add(1, std::memory_order_relaxed);
    connections_.back()->start(std::prev(connections_.end()));
  }
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
    listener_ = http::FileDescriptor();
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
    readiness_.stop();
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
