#pragma once
// One TCP connection: reads into its Session, sends the Session's output, and keeps the
// deadline of the phase it is in, which the worker's sweep enforces. Owned by its Worker;
// lives on the worker thread, told of its socket's readiness by the worker's ReadinessSet.

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "http/file_descriptor.hpp"
#include "http/session.hpp"
#include "net/readiness_set.hpp"

namespace sloe::net {

class Worker;

class Connection final : public http::Transport, private ReadinessSet::Listener {
 public:
  using Clock = std::chrono::steady_clock;

  /// `socket` is a connected, non-blocking TCP socket; `peer` its remote address as text.
  Connection(Worker& worker, http::FileDescriptor socket, std::string peer);
  /// Joins the worker's readiness set and waits for the first request.
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
  void on_ready(std::uint32_t events) override;
  /// Reads once the socket has bytes: now when it still may, else at its next readiness.
  void read();
  void on_readable();
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
  http::FileDescriptor socket_;
  http::Session session_;
  std::list<std::unique_ptr<Connection>>::iterator self_;
  Clock::time_point deadline_;
  Clock::time_point phase_started_;
  http::RequestParser::Phase phase_ = http::RequestParser::Phase::idle;
  std::uint64_t requests_seen_ = 0;  // session_.requests() when phase_ was last updated
  // Edge-triggered readiness, as last reported and not since used up: a read that got fewer
  // bytes than it asked for, or a send that would block, clears it.
  bool readable_ = false;
  bool writable_ = true;
  // The peer shut its side (or the socket failed): a short read no longer means the socket is
  // drained, because no further edge will come for the end of the stream.
  bool peer_done_ = false;
  bool reading_ = false;      // waiting for readability to read
  bool read_posted_ = false;  // a read after a full buffer, queued behind the other sockets
  bool sending_ = false;      // in send(), or waiting for the socket to take more
  std::size_t lingered_ = 0;
  bool lingering_ = false;
  bool closed_ = false;
  bool forced_ = false;
  bool retiring_ = false;
};

}  // namespace sloe::net
