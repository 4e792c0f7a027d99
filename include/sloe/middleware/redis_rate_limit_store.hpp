#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sloe/middleware/rate_limit.hpp"

namespace sloe {

/// Where a RedisRateLimitStore finds Redis, and how long it waits for it.
struct RedisRateLimitOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// The longest a connect or one call may take; past it Redis counts as down.
  std::chrono::milliseconds timeout{50};
  /// Prepended to every bucket key; give each limit its own when several share a Redis.
  std::string key_prefix = "sloe:rate:";
  /// Requests waiting for the Redis thread; beyond it they are answered "undecided" at once.
  std::size_t max_queued = 10'000;
  /// After a failed connect the store waits this long, doubling up to `max_backoff`, before
  /// trying again; meanwhile requests are answered "undecided" without waiting.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
};

/// Buckets in Redis, shared by every sloe instance that uses the same Redis and key prefix. Each
/// request is one Lua script (EVALSHA, EVAL when Redis lost it) that refills and takes a token
/// atomically on Redis's own clock (TIME), so the instances' clocks do not matter, and gives the
/// key an expiry at the moment its bucket is full again, so idle keys vanish.
///
/// The calls run on one thread of the store's own, never on a worker: rate_limit() suspends the
/// request until the answer or its timeout. When Redis is unreachable or slower than the
/// timeout, the store answers "undecided" and rate_limit() applies `fail_open`; the store logs
/// one warning when Redis goes down and one line when it is back, and reconnects with backoff.
///
///   auto redis = std::make_shared<sloe::RedisRateLimitStore>(
///       sloe::RedisRateLimitOptions{.host = "10.0.0.5", .key_prefix = "api:"});
///   app.use(sloe::rate_limit({.rate = 50, .burst = 100, .store = redis}));
class RedisRateLimitStore final : public RateLimitStore {
 public:
  explicit RedisRateLimitStore(RedisRateLimitOptions options = {});
  /// Stops the thread; requests still queued are answered "undecided".
  ~RedisRateLimitStore() override;
  RedisRateLimitStore(const RedisRateLimitStore&) = delete;
  RedisRateLimitStore& operator=(const RedisRateLimitStore&) = delete;

  /// Blocks the calling thread up to the timeout; throws sloe::RateLimitStoreUnavailable when
  /// Redis does not decide. For tools and tests: rate_limit() uses take_later().
  RateLimitDecision take(std::string_view key, const RateLimitQuota& quota,
                         std::chrono::steady_clock::time_point now) override;
  bool answers_at_once() const noexcept override { return false; }
  void take_later(std::string key, RateLimitQuota quota, std::chrono::steady_clock::time_point now,
                  Callback done) override;

 private:
  class Worker;
  std::unique_ptr<Worker> worker_;
};

/// Thrown by RedisRateLimitStore::take() when Redis could not decide in time.
class RateLimitStoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sloe
