#pragma once
// One TCP connection: reads into its Session, writes the Session's answers, and keeps the
// deadline that the worker's sweep enforces. Owned by its Worker; lives on the worker thread.

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <string>

#include "context/context_state.hpp"
#include "http/session.hpp"

namespace sloe::net {

class Worker;

class Connection final : public http::Dispatcher, public detail::PendingHost {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(Worker& worker, asio::ip::tcp::socket socket);
  void start(std::list<std::unique_ptr<Connection>>::iterator self);

  http::Outcome dispatch(const http::Request& request, http::ResponseFraming framing,
                         std::string& out) override;
  void resume(bool keep_alive) override;
  http::Session::Relocation pin(Context& waiting) override {
    waiting_context_ = &waiting;
    return session_.pin();
  }
  const std::shared_ptr<Executor>& executor() override;

  /// Called by the worker's sweep: closes the connection when its deadline passed.
  void check_deadline(Clock::time_point now);
  void begin_shutdown();
  /// Closes the socket; the worker destroys the connection once no operation is pending.
  void close(bool forced = false);
  std::list<std::unique_ptr<Connection>>::iterator position() const { return self_; }

 private:
  void read();
  void on_readable(const std::error_code& ec);
  void write();
  void on_written(const std::error_code& ec);
  void after_input(Clock::time_point now);
  /// While a request is answered later: did the client hang up? Then its scope is cancelled.
  void check_hangup();
  /// After input or a late answer: write what is ready, or close, or read on.
  void proceed();
  void maybe_retire();

  Worker& worker_;
  asio::ip::tcp::socket socket_;
  http::Session session_;
  std::string remote_ip_;
  std::string in_flight_;  // being written; the session's output keeps growing meanwhile
  Context* waiting_context_ = nullptr;  // the request answered later, while session_.waiting()
  std::list<std::unique_ptr<Connection>>::iterator self_;
  Clock::time_point deadline_;
  Clock::time_point phase_started_;
  http::RequestParser::Phase phase_ = http::RequestParser::Phase::idle;
  bool reading_ = false;
  bool writing_ = false;
  std::size_t lingered_ = 0;
  bool lingering_ = false;
  bool closed_ = false;
  bool forced_ = false;
};

}  // namespace sloe::net
