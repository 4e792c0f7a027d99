#include "sloe/middleware/timeout.hpp"

#include <atomic>
#include <stdexcept>
#include <string_view>

#include "sloe/context/context.hpp"

namespace sloe {

namespace {
// The engine's answer at a request's deadline (coroutine and deferred handlers), which a late
// plain handler gets too.
constexpr std::string_view kDeadlineExceeded = "request deadline exceeded";

std::atomic<std::uint64_t> timed_out{0};
}  // namespace

Handler timeout(std::chrono::milliseconds limit) {
  if (limit.count() <= 0) {
    throw std::invalid_argument("sloe::timeout: the limit must be positive, e.g. timeout(1s)");
  }
  return [limit](Context& c) {
    c.set_timeout(limit);
    c.before_send([limit](Context& c, OutgoingAnswer& answer) {
      // Another timeout() further down the chain replaced this one: it decides.
      if (c.timeout() != limit || answer.kind == OutgoingAnswer::Kind::stream) return;
      if (std::chrono::steady_clock::now() < c.start_time() + limit) return;
      timed_out.fetch_add(1, std::memory_order_relaxed);
      if (c.response_status() == 503 && answer.body == kDeadlineExceeded) return;  // the engine's
      c.status(503);
      c.header("Content-Type", "text/plain; charset=utf-8");
      answer.body.assign(kDeadlineExceeded);
    });
    c.next();
  };
}

std::uint64_t timed_out_requests() {
  return timed_out.load(std::memory_order_relaxed);
}

}  // namespace sloe
