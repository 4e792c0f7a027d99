#include "net/connection.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "net/server.hpp"

namespace sloe::net {

namespace {
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kLingerBytes = 64 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kShutdownLingerTime = std::chrono::milliseconds(100);
// One sendfile call at a time moves at most this much, so that a large file does not keep the
// worker from its other connections.
constexpr std::size_t kMaxSendfileBytes = 1024 * 1024;

std::string peer_address(asio::ip::tcp::socket& socket) {
  std::error_code ec;
  asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
  return ec ? std::string() : peer.address().to_string();
}
}  // namespace

Connection::Connection(Worker& worker, asio::ip::tcp::socket socket)
    : worker_(worker),
      socket_(std::move(socket)),
      session_(worker.limits(), worker.handler(), *this, peer_address(socket_)) {
  std::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

void Connection::start(std::list<std::unique_ptr<Connection>>::iterator self) {
  self_ = self;
  after_input(Clock::now());
  read();
}

const std::shared_ptr<Executor>& Connection::executor() {
  return worker_.executor();
}

void Connection::output_ready() {
  if (closed_) {
    session_.output().clear();  // the client went away; a late answer has nowhere to go
    maybe_retire();
    return;
  }
  if (sending_) return;  // the send under way picks the new output up
  if (worker_.shutting_down()) session_.begin_shutdown();
  after_input(Clock::now());
  proceed();
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
  if (sending_) return;  // reading goes on once the client has taken what it is sent
  if (session_.waiting()) {
    check_hangup();
    return;
  }
  std::error_code read_ec;
  if (lingering_) {
    // The answer is out; the client's remaining bytes are read and dropped so that closing
    // does not reset the connection before the client has read the answer.
    http::ReadBuffer& sink = worker_.read_buffer();
    lingered_ += socket_.read_some(asio::buffer(sink.data.get(), sink.capacity), read_ec);
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
    http::ReadBuffer& buffer = worker_.read_buffer();
    std::size_t bytes =
        socket_.read_some(asio::buffer(buffer.data.get(), buffer.capacity), read_ec);
    if (!read_ec) session_.process(buffer, bytes);
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
    send();
  } else if (session_.waiting()) {
    // A handler answers later or streams, and output_ready() carries on. Nothing is read
    // meanwhile (the request's bytes must stay where they are), but a hang-up is noticed.
    if (!reading_) read();
  } else if (session_.closing()) {
    close();
  } else if (!reading_) {
    read();
  }
}

void Connection::send() {
  if (sending_ || closed_) return;
  sending_ = true;
  http::Output& output = session_.output();
  const int fd = socket_.native_handle();
  while (!output.empty()) {
    http::Output::Front front = output.front();
    ssize_t sent;
    if (front.file != nullptr) {
      off_t offset = front.file->offset;
      sent = ::sendfile(fd, front.file->file->get(), &offset,
                        std::min(front.file->length, kMaxSendfileBytes));
      if (sent == 0) errno = EIO;  // the file shrank: the promised length cannot be sent
    } else {
      // A head followed by a file leaves with the file's first bytes, not in a segment of its
      // own (TCP_NODELAY would send it alone): sendfile's last part pushes both.
      sent = ::send(fd, front.bytes.data(), front.bytes.size(),
                    MSG_NOSIGNAL | (front.file_follows ? MSG_MORE : 0));
    }
    if (sent > 0) {
      output.consume(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      deadline_ = Clock::now() + worker_.options().write_timeout;
      socket_.async_wait(asio::socket_base::wait_write, [this](const std::error_code& ec) {
        sending_ = false;
        if (closed_ || ec) {
          close();
        } else {
          send();
        }
      });
      session_.output_sent();  // what was sent may have made room for a streamed answer
      return;
    }
    sending_ = false;
    close();
    return;
  }
  sending_ = false;
  session_.output_sent();
  on_sent();
}

void Connection::on_sent() {
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
  const ServerOptions& options = worker_.options();
  if (session_.requests() != requests_seen_) {
    // Each request's header phase is timed on its own, also on a pipelined stream.
    requests_seen_ = session_.requests();
    phase_ = http::RequestParser::Phase::idle;
  }
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
  if (peeked > 0) return;  // the next pipelined request: read once the exchange ends
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    read();
    return;
  }
  close();  // the client went away: the open exchange is abandoned
}

void Connection::check_deadline(Clock::time_point now) {
  if (closed_ || now < deadline_) return;
  // A request answered later has its own deadline (the application's); a streamed answer the
  // client does not read is cut off at the write timeout.
  if (session_.waiting() && !sending_) return;
  if (!sending_ && !lingering_ && phase_ != http::RequestParser::Phase::idle) {
    session_.time_out();
    send();
    return;
  }
  close(sending_);
}

void Connection::begin_shutdown() {
  if (lingering_) deadline_ = std::min(deadline_, Clock::now() + kShutdownLingerTime);
  session_.begin_shutdown();
  if (session_.closing() && !sending_) close();
}

void Connection::close(bool forced) {
  if (!closed_) {
    closed_ = true;
    forced_ = forced;
    std::error_code ignored;
    socket_.close(ignored);
    if (session_.waiting()) session_.abandon();
  }
  maybe_retire();
}

void Connection::maybe_retire() {
  // An open exchange still refers to this connection: wait for the application to end it.
  if (closed_ && !reading_ && !sending_ && !session_.waiting() && !retiring_) {
    retiring_ = true;
    worker_.retire(this, forced_);
  }
}

}  // namespace sloe::net
