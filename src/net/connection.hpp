#pragma once
// One TCP connection: reads into its Session, sends the Session's output, and keeps the
// deadline of the phase it is in, which the worker's sweep enforces. Owned by its Worker;
// lives on the worker thread.

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <string>

#include "http/session.hpp"

namespace sloe::net {

class Worker;

class Connection final : public http::Transport {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(Worker& worker, asio::ip::tcp::socket socket);
  void start(std::list<std::unique_ptr<Connection>>::iterator self);

  void output_ready() override;
  const std::shared_ptr<Executor>& executor() override;

  /// Called by the worker's sweep: closes the connection when its deadline passed.
  void check_deadline(Clock::time_point now);
  void begin_shutdown();
  /// Closes the socket; the worker destroys the connection once nothing refers to it.
  void close(bool forced = false);
  std::list<std::unique_ptr<Connection>>::iterator position() const { return self_; }

 private:
  void read();
  void on_readable(const std::error_code& ec);
  /// Sends as much output as the socket takes now; waits for writability for the rest.
  void send();
  void on_sent();
  void after_input(Clock::time_point now);
  /// While an exchange is open: did the client hang up? Then the session abandons it.
  void check_hangup();
  /// After input or a late answer: send what is ready, or close, or read on.
  void proceed();
  void maybe_retire();

  Worker& worker_;
  asio::ip::tcp::socket socket_;
  http::Session session_;
  std::list<std::unique_ptr<Connection>>::iterator self_;
  Clock::time_point deadline_;
  Clock::time_point phase_started_;
  http::RequestParser::Phase phase_ = http::RequestParser::Phase::idle;
  std::uint64_t requests_seen_ = 0;  // session_.requests() when phase_ was last updated
  bool reading_ = false;
  bool sending_ = false;  // in send(), or waiting for the socket to take more
  std::size_t lingered_ = 0;
  bool lingering_ = false;
  bool closed_ = false;
  bool forced_ = false;
  bool retiring_ = false;
};

}  // namespace sloe::net
