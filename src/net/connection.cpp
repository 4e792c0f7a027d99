#include "net/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>
#include <asio/post.hpp>

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

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}
}  // namespace

Connection::Connection(Worker& worker, http::FileDescriptor socket, std::string peer)
    : worker_(worker),
      socket_(std::move(socket)),
      session_(worker.limits(), worker.handler(), *this, std::move(peer)) {
  int one = 1;
  ::setsockopt(socket_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void Connection::start(std::list<std::unique_ptr<Connection>>::iterator self) {
  self_ = self;
  // Joining the set reports the socket's present readiness: a request that came with the
  // connection is read at the next batch.
  if (std::error_code ec = worker_.readiness().add(socket_.get(), *this)) {
    spdlog::warn("sloe: cannot watch a new connection: {}; closing it", ec.message());
    close();
    return;
  }
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

void Connection::on_ready(std::uint32_t events) {
  if (closed_) return;  // closed earlier in the same batch
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_done_ = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable_ = true;
  if (sending_) {
    // Waiting for the socket to take more output; reading goes on once it has.
    if (writable_) {
      sending_ = false;
      send();
    }
    return;
  }
  if (reading_ && readable_) on_readable();
}

void Connection::read() {
  // An idle connection holds no read memory: the bytes land in the worker's shared buffer when
  // they come.
  if (!readable_) {
    reading_ = true;
    return;
  }
  reading_ = false;
  if (read_posted_) return;
  // The socket may still have bytes (the last read filled its buffer): read them after the
  // worker's other sockets have had a turn, so that one client streaming requests cannot keep
  // the others waiting.
  read_posted_ = true;
  asio::post(worker_.io(), [this] {
    read_posted_ = false;
    if (closed_) {
      maybe_retire();
    } else if (!sending_) {
      on_readable();
    }
  });
}

void Connection::on_readable() {
  reading_ = false;
  if (session_.waiting()) {
    check_hangup();
    return;
  }
  const int fd = socket_.get();
  ssize_t received;
  std::size_t asked;
  if (lingering_) {
    // The answer is out; the client's remaining bytes are read and dropped so that closing
    // does not reset the connection before the client has read the answer.
    http::ReadBuffer& sink = worker_.read_buffer();
    asked = sink.capacity;
    received = ::recv(fd, sink.data.get(), asked, 0);
    if (received > 0) lingered_ += static_cast<std::size_t>(received);
  } else if (session_.has_pending_input()) {
    // The rest of a request: straight into the session's own buffer.
    std::span<char> space = session_.prepare(kReadChunk);
    asked = space.size();
    received = ::recv(fd, space.data(), asked, 0);
    if (received > 0) {
      session_.commit(static_cast<std::size_t>(received));
      session_.process();
    }
  } else {
    http::ReadBuffer& buffer = worker_.read_buffer();
    asked = buffer.capacity;
    received = ::recv(fd, buffer.data.get(), asked, 0);
    if (received > 0) session_.process(buffer, static_cast<std::size_t>(received));
  }
  const int error = received < 0 ? errno : 0;
  // A short read drained the socket: the next bytes bring a new edge.
  if (received >= 0 && static_cast<std::size_t>(received) < asked && !peer_done_) {
    readable_ = false;
  }
  if (received < 0 && (would_block(error) || error == EINTR)) {
    readable_ = error == EINTR;
    read();
    return;
  }
  if (received <= 0 || (lingering_ && lingered_ > kLingerBytes)) {
    close();
    return;
  }
  if (lingering_) {
    read();
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
  const int fd = socket_.get();
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
    if (sent < 0 && would_block(errno)) {
      // sending_ stays set: on_ready() goes on when the socket takes more.
      writable_ = false;
      deadline_ = Clock::now() + worker_.options().write_timeout;
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
    ::shutdown(socket_.get(), SHUT_WR);
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
  ssize_t peeked = ::recv(socket_.get(), &byte, 1, MSG_PEEK);
  if (peeked > 0) return;  // the next pipelined request: read once the exchange ends
  if (peeked < 0 && (would_block(errno) || errno == EINTR)) {
    readable_ = errno == EINTR;
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
    socket_ = http::FileDescriptor();  // closing it also takes it out of the readiness set
    reading_ = false;
    sending_ = false;
    if (session_.waiting()) session_.abandon();
  }
  maybe_retire();
}

void Connection::maybe_retire() {
  // An open exchange still refers to this connection: wait for the application to end it.
  if (closed_ && !read_posted_ && !session_.waiting() && !retiring_) {
    retiring_ = true;
    worker_.retire(this, forced_);
  }
}

}  // namespace sloe::net
