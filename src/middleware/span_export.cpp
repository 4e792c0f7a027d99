#include "middleware/span_export.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sloe/context/json.hpp"

namespace sloe {

namespace detail {

std::atomic<std::uint64_t> dropped_spans_in_process{0};

CollectorAddress collector_address(std::string_view endpoint) {
  constexpr std::string_view kScheme = "http://";
  if (!endpoint.starts_with(kScheme)) {
    throw std::invalid_argument(fmt::format(
        "sloe::TracingOptions::endpoint \"{}\": only http:// collectors are supported", endpoint));
  }
  std::string_view rest = endpoint.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view base = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (base.ends_with('/')) base.remove_suffix(1);
  CollectorAddress address;
  // "[::1]:4318", "127.0.0.1:4318", "collector"
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      authority = {};
    else {
      address.host = authority.substr(1, close - 1);
      if (authority.substr(close + 1).starts_with(':')) address.port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    address.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) address.port = authority.substr(colon + 1);
  }
  if (address.host.empty() || address.port.empty()) {
    throw std::invalid_argument(
        fmt::format("sloe::TracingOptions::endpoint \"{}\" names no host and port", endpoint));
  }
  address.target = fmt::format("{}/v1/traces", base);
  return address;
}

namespace {

std::string unix_nanos(std::chrono::system_clock::time_point t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

json attribute(std::string_view key, const SpanAttributeValue& value) {
  json typed = json::object();
  // OTLP's JSON mapping writes 64-bit integers as strings (proto3 JSON).
  if (const auto* text = std::get_if<std::string>(&value))
    typed["stringValue"] = *text;
  else
    typed["intValue"] = std::to_string(std::get<std::int64_t>(value));
  return {{"key", key}, {"value", std::move(typed)}};
}

json span_json(const SpanRecord& span) {
  json attributes = json::array();
  for (const auto& [key, value] : span.attributes) attributes.push_back(attribute(key, value));
  json out = {{"traceId", span.trace_id},
              {"spanId", span.span_id},
              {"name", span.name},
              {"kind", static_cast<int>(span.kind)},
              {"startTimeUnixNano", unix_nanos(span.start)},
              {"endTimeUnixNano", unix_nanos(span.end)},
              {"attributes", std::move(attributes)}};
  if (!span.parent_span_id.empty()) out["parentSpanId"] = span.parent_span_id;
  if (!span.trace_state.empty()) out["traceState"] = span.trace_state;
  if (span.error) {
    constexpr int kStatusCodeError = 2;
    out["status"] = {{"code", kStatusCodeError}, {"message", span.status_message}};
  }
  return out;
}

}  // namespace

std::string otlp_json(std::string_view service_name, std::span<const SpanRecord> spans) {
  json list = json::array();
  for (const SpanRecord& span : spans) list.push_back(span_json(span));
  json resource = {
      {"attributes", json::array({attribute("service.name", std::string(service_name))})}};
  json scope_spans = {{"scope", {{"name", "sloe"}}}, {"spans", std::move(list)}};
  json request = {{"resourceSpans", json::array({{{"resource", std::move(resource)},
                                                  {"scopeSpans", json::array({scope_spans})}}})}};
  return request.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket when the export attempt ends, however it ends.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

int connect_before(const CollectorAddress& to, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(to.host.c_str(), to.port.c_str(), &hints, &found) != 0) return -1;
  int connected = -1;
  for (addrinfo* a = found; a && connected < 0; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS && wait_ready(fd, POLLOUT, deadline)) {
        socklen_t size = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
      }
    }
    if (error == 0) {
      connected = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  return connected;
}

bool send_all(int fd, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLOUT, deadline)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Reads up to the end of the status line and returns its code; 0 when there is none.
int read_status(int fd, Clock::time_point deadline) {
  std::string head;
  char buffer[512];
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got > 0) {
      head.append(buffer, static_cast<std::size_t>(got));
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLIN, deadline)) return 0;
    } else {
      break;
    }
  }
  // "HTTP/1.1 200 OK"
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') return 0;
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    code = code * 10 + (head[i] - '0');
  }
  return code;
}

}  // namespace

bool post_json(const CollectorAddress& to, std::string_view body,
               std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  Socket socket(connect_before(to, deadline));
  if (socket.fd() < 0) return false;
  const bool ipv6 = to.host.find(':') != std::string::npos;
  const std::string head = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n",
      to.target, ipv6 ? "[" : "", to.host, ipv6 ? "]" : "", to.port, body.size());
  if (!send_all(socket.fd(), head, deadline) || !send_all(socket.fd(), body, deadline)) {
    return false;
  }
  const int status = read_status(socket.fd(), deadline);
  return status >= 200 && status < 300;
}

}  // namespace detail

Tracer::Exporter::Exporter(Tracer& tracer, detail::CollectorAddress address)
    : tracer_(tracer), address_(std::move(address)), thread_([this] { run(); }) {}

Tracer::Exporter::~Exporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool Tracer::Exporter::enqueue(SpanRecord&& span) {
  bool batch_full = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= tracer_.options_.queue_capacity) return false;
    queue_.push_back(std::move(span));
    batch_full = queue_.size() >= tracer_.options_.max_batch_size;
  }
  if (batch_full) wake_.notify_one();
  return true;
}

bool Tracer::Exporter::flush(std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  flush_asked_ = true;
  wake_.notify_one();
  return drained_.wait_for(lock, bound, [this] { return drained(); });
}

void Tracer::Exporter::run() {
  using Clock = std::chrono::steady_clock;
  const TracingOptions& options = tracer_.options_;
  const std::size_t batch_size = std::max<std::size_t>(options.max_batch_size, 1);
  // A zero interval would make this loop spin instead of waiting for spans.
  const auto flush_interval = std::max(options.flush_interval, std::chrono::milliseconds(1));
  std::optional<Clock::time_point> give_up;  // set once stopping: the shutdown bound
  std::vector<SpanRecord> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, flush_interval,
                   [&] { return stopping_ || flush_asked_ || queue_.size() >= batch_size; });
    if (stopping_ && !give_up) give_up = Clock::now() + options.shutdown_timeout;
    if (give_up && Clock::now() >= *give_up && !queue_.empty()) {
      // Out of time at shutdown: what is left is lost, and counted.
      tracer_.dropped_ += queue_.size();
      detail::dropped_spans_in_process += queue_.size();
      queue_.clear();
    }
    if (queue_.empty()) {
      flush_asked_ = false;
      drained_.notify_all();
      if (stopping_) return;
      continue;
    }
    const std::size_t take = std::min(batch_size, queue_.size());
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    in_flight_ = take;
    lock.unlock();

    std::chrono::milliseconds timeout = options.export_timeout;
    if (give_up) {
      timeout = std::min(
          timeout, std::chrono::duration_cast<std::chrono::milliseconds>(*give_up - Clock::now()));
    }
    const bool exported =
        timeout.count() > 0 &&
        detail::post_json(address_, detail::otlp_json(options.service_name, batch), timeout);
    if (exported) {
      tracer_.exported_ += take;
    } else {
      tracer_.dropped_ += take;
      detail::dropped_spans_in_process += take;
    }
    batch.clear();

    lock.lock();
    in_flight_ = 0;
    if (queue_.empty()) {
      flush_asked_ = false;
      drained_.notify_all();
    }
  }
}

}  // namespace sloe
