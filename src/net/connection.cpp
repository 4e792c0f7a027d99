#include "net/connection.hpp"

#include <sys/socket.h>

#include <asio/write.hpp>
#include <cerrno>

#include "engine/engine_core.hpp"
#include "net/server.hpp"

namespace sloe::net {

namespace {
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kLingerBytes = 64 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kShutdownLingerTime = std::chrono::milliseconds(100);
}  // namespace

Connection::Connection(Worker& worker, asio::ip::tcp::socket socket)
    : worker_(worker), socket_(std::move(socket)), session_(worker.engine().limits(), *this) {
  std::error_code ec;
  asio::ip::tcp::endpoint peer = socket_.remote_endpoint(ec);
  if (!ec) remote_ip_ = peer.address().to_string();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

void Connection::start(std::list<std::unique_ptr<Connection>>::iterator self) {
  self_ = self;
  after_input(Clock::now());
  read();
}

http::Outcome Connection::dispatch(const http::Request& request, http::ResponseFraming framing,
                                   std::string& out) {
  detail::RequestEnv env{.remote_ip = remote_ip_,
                         .trusted_proxies = &worker_.engine().options().trusted_proxies,
                         .host = this};
  // Each request's header phase is timed on its own (see after_input).
  phase_ = http::RequestParser::Phase::idle;
  return worker_.engine().handle(request, framing, out, worker_.pool(), env);
}

const std::shared_ptr<Executor>& Connection::executor() {
  return worker_.executor();
}

void Connection::resume(bool keep_alive) {
  waiting_context_ = nullptr;
  session_.resume(keep_alive);
  if (closed_) {
    session_.output().clear();  // the client went away; its late answer has nowhere to go
    maybe_retire();
    return;
  }
  after_input(Clock::now());
  if (!writing_) proceed();
}

void Connection::read() {
  // Wait for readability without a buffer: an idle connection holds no read memory, and the
  // bytes land in the worker's shared buffer when they come.
  reading_ = true;
  socket_.async_wait(asio::socket_base::wait_read, [this](const std::error_code& ec) {
    reading_ = false;
    on_readable(ec);
  });
}

void Connection::on_readable(const std::error_code& ec) {
  if (closed_ || ec) {
    close();
    return;
  }
  if (writing_) return;  // a timeout answer is being sent; the connection ends after it
  if (session_.waiting()) {
    check_hangup();
    return;
  }
  std::error_code read_ec;
  if (lingering_) {
    // The answer is out; the client's remaining bytes are read and dropped so that closing
    // does not reset the connection before the client has read the answer.
    std::span<char> sink = worker_.read_buffer();
    lingered_ += socket_.read_some(asio::buffer(sink.data(), sink.size()), read_ec);
    if (read_ec != asio::error::would_block && (read_ec || lingered_ > kLingerBytes)) {
      close();
    } else {
      read();
    }
    return;
  }
  if (session_.has_pending_input()) {
    // The rest of a request: straight into the session's own buffer.
    std::span<char> space = session_.prepare(kReadChunk);
    std::size_t bytes = socket_.read_some(asio::buffer(space.data(), space.size()), read_ec);
    if (!read_ec) {
      session_.commit(bytes);
      session_.process();
    }
  } else {
    std::span<char> buffer = worker_.read_buffer();
    std::size_t bytes = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), read_ec);
    if (!read_ec) session_.process(buffer.first(bytes));
  }
  if (read_ec == asio::error::would_block) {
    read();
    return;
  }
  if (read_ec) {
    close();
    return;
  }
  after_input(Clock::now());
  proceed();
}

void Connection::proceed() {
  if (!session_.output().empty()) {
    write();
  } else if (session_.waiting()) {
    // A handler answers later and resume() carries on. Nothing is read meanwhile (the
    // request's bytes must stay where they are), but a hang-up is noticed.
    if (!reading_) read();
  } else if (session_.closing()) {
    close();
  } else if (!reading_) {
    read();
  }
}

void Connection::write() {
  writing_ = true;
  deadline_ = Clock::now() + worker_.engine().options().write_timeout;
  in_flight_.swap(session_.output());
  asio::async_write(socket_, asio::buffer(in_flight_),
                    [this](const std::error_code& ec, std::size_t) {
                      writing_ = false;
                      on_written(ec);
                    });
}

void Connection::on_written(const std::error_code& ec) {
  if (closed_ || ec) {
    close();
    return;
  }
  in_flight_.clear();
  if (!session_.output().empty()) {  // a late answer arrived while writing
    write();
    return;
  }
  if (worker_.shutting_down()) session_.begin_shutdown();
  if (session_.closing() && !session_.waiting()) {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    lingering_ = true;
    deadline_ = Clock::now() + (worker_.shutting_down() ? kShutdownLingerTime : kLingerTime);
    if (!reading_) read();
    return;
  }
  after_input(Clock::now());
  proceed();
}

void Connection::after_input(Clock::time_point now) {
  const EngineOptions& options = worker_.engine().options();
  if (session_.idle()) {
    phase_ = http::RequestParser::Phase::idle;
    deadline_ = now + options.idle_timeout;
    return;
  }
  http::RequestParser::Phase phase = session_.phase();
  if (phase != phase_) {
    phase_ = phase;
    phase_started_ = now;
  }
  deadline_ = phase_started_ + (phase == http::RequestParser::Phase::body ? options.body_timeout
                                                                          : options.header_timeout);
}

void Connection::check_hangup() {
  char byte;
  ssize_t peeked = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK);
  if (peeked > 0) return;  // the next pipelined request: read after resume()
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    read();
    return;
  }
  // The client went away: work for it can stop. Its late answer is dropped in resume().
  if (waiting_context_ != nullptr) waiting_context_->scope().cancel();
  close();
}

void Connection::check_deadline(Clock::time_point now) {
  // A request answered later has its own deadline (EngineOptions::request_timeout).
  if (closed_ || now < deadline_ || session_.waiting()) return;
  if (!writing_ && !lingering_ && phase_ != http::RequestParser::Phase::idle) {
    session_.time_out();
    write();
    return;
  }
  close(writing_);
}

void Connection::begin_shutdown() {
  if (lingering_) deadline_ = std::min(deadline_, Clock::now() + kShutdownLingerTime);
  session_.begin_shutdown();
  if (session_.closing() && !writing_) close();
}

void Connection::close(bool forced) {
  if (!closed_) {
    closed_ = true;
    forced_ = forced;
    std::error_code ignored;
    socket_.close(ignored);
  }
  maybe_retire();
}

void Connection::maybe_retire() {
  // A request answered later still refers to this connection: wait for its answer.
  if (closed_ && !reading_ && !writing_ && !session_.waiting()) {
    worker_.retire(this, forced_);  // destroys *this
  }
}

}  // namespace sloe::net
