#include "net/readiness_set.hpp"

#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <system_error>

#include <asio/post.hpp>

namespace sloe::net {

namespace {
// Ready sockets taken per epoll_wait. A full batch means more may be waiting: the set goes on
// after the io_context's other work (timers, late answers) has had a turn.
constexpr int kBatch = 256;

int create_epoll() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}
}  // namespace

ReadinessSet::ReadinessSet(asio::io_context& io) : io_(io), epoll_(io, create_epoll()) {}

std::error_code ReadinessSet::add(int fd, Listener& listener) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = &listener;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return {errno, std::generic_category()};
  }
  return {};
}

void ReadinessSet::start() {
  wait();
}

void ReadinessSet::stop() {
  stopped_ = true;
  std::error_code ignored;
  epoll_.cancel(ignored);
}

void ReadinessSet::wait() {
  epoll_.async_wait(asio::posix::descriptor_base::wait_read, [this](const std::error_code& ec) {
    if (!ec && !stopped_) deliver();
  });
}

void ReadinessSet::deliver() {
  std::array<epoll_event, kBatch> events;
  int ready;
  do {
    ready = ::epoll_wait(epoll_.native_handle(), events.data(), kBatch, 0);
  } while (ready < 0 && errno == EINTR);
  for (int i = 0; i < ready; ++i) {
    static_cast<Listener*>(events[i].data.ptr)->on_ready(events[i].events);
  }
  if (ready == kBatch) {
    asio::post(io_, [this] {
      if (!stopped_) deliver();
    });
  } else if (!stopped_) {
    wait();
  }
}

}  // namespace sloe::net
