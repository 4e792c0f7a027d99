#pragma once
// A worker's sockets in one edge-triggered epoll set, itself one descriptor in the worker's
// io_context. Each socket is added once, for reading and writing, and from then on reports
// every change of its readiness. Asio's own socket waits re-arm the descriptor with an
// epoll_ctl on each wait: one system call per request on a keep-alive connection, which this
// set does not make (it re-arms itself once per batch of ready sockets instead).

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <system_error>

namespace sloe::net {

class ReadinessSet {
 public:
  /// Told of its socket's readiness: a mask of EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP and
  /// EPOLLERR. Edge-triggered: readiness is reported when it changes, so a listener keeps
  /// reading (or writing) until the socket says it would block.
  class Listener {
   public:
    virtual void on_ready(std::uint32_t events) = 0;

   protected:
    ~Listener() = default;
  };

  explicit ReadinessSet(asio::io_context& io);
  ReadinessSet(const ReadinessSet&) = delete;
  ReadinessSet& operator=(const ReadinessSet&) = delete;

  /// Watches `fd` until it is closed; an error when epoll refuses it (out of memory, or the
  /// system's limit of watched descriptors). The listener must outlive the batch of events
  /// being delivered when its socket closes: destroy it from a posted handler.
  std::error_code add(int fd, Listener& listener);
  /// Starts delivering readiness from the io_context's thread.
  void start();
  /// Delivers nothing more; the sockets still in the set are left to their owners.
  void stop();

 private:
  void wait();
  void deliver();

  asio::io_context& io_;
  asio::posix::stream_descriptor epoll_;
  bool stopped_ = false;
};

}  // namespace sloe::net
