#pragma once
// A blocking POSIX-socket HTTP/1.1 client for the server tests: connects to 127.0.0.1:port,
// sends raw bytes, reads responses with bounded waits and tells a closed connection apart
// from a quiet one. Every wait takes a timeout; nothing here can hang a test.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sloe::test {

using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;
  std::string status_line;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }
  /// The first header with this name (case-insensitive); empty when absent.
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (iequals(key, name)) return value;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return iequals(h.first, name); });
  }
};

class RawSocket {
 public:
  using Clock = std::chrono::steady_clock;

  RawSocket() = default;
  explicit RawSocket(std::uint16_t port) { connect(port); }
  RawSocket(RawSocket&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), eof_(other.eof_), buffer_(std::move(other.buffer_)) {}
  RawSocket& operator=(RawSocket&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
      eof_ = other.eof_;
      buffer_ = std::move(other.buffer_);
    }
    return *this;
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket() { close(); }

  /// Connects to 127.0.0.1:port; false when refused (nobody listens).
  bool connect(std::uint16_t port) {
    close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A connect to loopback completes or is refused at once; the timeout only bounds the odd
    // case of a full backlog.
    timeval tv{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      close();
      return false;
    }
    eof_ = false;
    buffer_.clear();
    return true;
  }

  bool connected() const { return fd_ >= 0; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Sends every byte; false when the peer is gone (EPIPE/ECONNRESET) or the send timed out.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Ends the client's side of the stream (a FIN), as a client does that sends its last
  /// request and only reads from then on.
  bool shutdown_write() { return ::shutdown(fd_, SHUT_WR) == 0; }

  /// Reads until `count` complete responses (interim 1xx responses count) are buffered, the
  /// peer closes, or `timeout` passes; returns the complete ones, leaving the rest buffered.
  /// `head` treats every response as an answer to HEAD (no body despite Content-Length).
  std::vector<RawResponse> read_responses(std::size_t count,
                                          std::chrono::milliseconds timeout = 2000ms,
                                          bool head = false) {
    std::vector<RawResponse> out;
    auto deadline = Clock::now() + timeout;
    while (out.size() < count) {
      if (std::optional<RawResponse> r = take_response(head)) {
        out.push_back(std::move(*r));
        continue;
      }
      if (eof_ || !fill(deadline)) break;
    }
    return out;
  }

  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = 2000ms,
                                           bool head = false) {
    auto all = read_responses(1, timeout, head);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
  }

  /// Waits up to `timeout` for the peer to close (EOF or reset); bytes read meanwhile stay
  /// buffered. True when the connection is closed.
  bool wait_closed(std::chrono::milliseconds timeout = 2000ms) {
    auto deadline = Clock::now() + timeout;
    while (!eof_) {
      if (!fill(deadline)) break;
    }
    return eof_;
  }

  /// True when nothing arrives and the connection stays open for `quiet`.
  bool stays_open(std::chrono::milliseconds quiet) {
    auto deadline = Clock::now() + quiet;
    while (!eof_ && fill(deadline)) {
    }
    return !eof_;
  }

  /// Reads at most `max` bytes into the buffer, as a slow reader does; 0 on close or timeout.
  std::size_t read_some(std::size_t max, std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;
    const std::size_t had = buffer_.size();
    buffer_.resize(had + max);
    ssize_t n = ::recv(fd_, buffer_.data() + had, max, 0);
    buffer_.resize(had + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n <= 0) eof_ = true;
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }

  bool eof() const { return eof_; }
  const std::string& buffered() const { return buffer_; }

 private:
  /// One poll+recv; false on timeout (eof_ tells a close apart).
  bool fill(Clock::time_point deadline) {
    if (fd_ < 0) {
      eof_ = true;
      return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char chunk[16 * 1024];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return true;
      eof_ = true;  // ECONNRESET and friends: the connection is gone
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  std::optional<RawResponse> take_response(bool head) {
    std::size_t end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    RawResponse r;
    std::string_view section(buffer_.data(), end);
    std::size_t line_end = section.find("\r\n");
    r.status_line = std::string(section.substr(0, line_end));
    if (r.status_line.size() >= 12) r.status = std::atoi(r.status_line.c_str() + 9);
    std::size_t pos = line_end == std::string_view::npos ? section.size() : line_end + 2;
    while (pos < section.size()) {
      std::size_t next = section.find("\r\n", pos);
      if (next == std::string_view::npos) next = section.size();
      std::string_view line = section.substr(pos, next - pos);
      std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
      }
      pos = next + 2;
    }
    std::size_t body_length = 0;
    bool bodiless =
        head || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
    if (!bodiless && RawResponse::iequals(r.header("Transfer-Encoding"), "chunked")) {
      return take_chunked_body(std::move(r), end + 4);
    }
    if (!bodiless) body_length = std::strtoul(r.header("Content-Length").c_str(), nullptr, 10);
    std::size_t total = end + 4 + body_length;
    if (buffer_.size() < total) return std::nullopt;
    r.body = buffer_.substr(end + 4, body_length);
    buffer_.erase(0, total);
    return r;
  }

  // The body of a chunked answer that starts at `at`, decoded; nullopt until its last chunk and
  // the empty trailer section have arrived.
  std::optional<RawResponse> take_chunked_body(RawResponse r, std::size_t at) {
    while (true) {
      std::size_t line_end = buffer_.find("\r\n", at);
      if (line_end == std::string::npos) return std::nullopt;
      std::size_t size = std::strtoul(buffer_.c_str() + at, nullptr, 16);
      if (size == 0) {
        if (buffer_.compare(line_end, 4, "\r\n\r\n") != 0) return std::nullopt;
        buffer_.erase(0, line_end + 4);
        return r;
      }
      if (buffer_.size() < line_end + 2 + size + 2) return std::nullopt;
      r.body.append(buffer_, line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

}  // namespace sloe::test
