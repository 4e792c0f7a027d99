#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sloe/context/handler.hpp"

namespace sloe {

/// The bucket every key gets: it holds `burst` tokens, refills at `rate` tokens per second, and
/// each request takes one.
struct RateLimitQuota {
  double rate = 0;
  std::int64_t burst = 0;
};

/// What a store answers for one request. Durations are from the moment of the request.
struct RateLimitDecision {
  bool allowed = false;
  /// Whole tokens left in the bucket after this request.
  std::int64_t remaining = 0;
  /// Until the bucket is full again (then the key is as good as unknown).
  std::chrono::nanoseconds reset{0};
  /// Until the next token, for a refused request; zero for an allowed one.
  std::chrono::nanoseconds retry_after{0};
};

/// Where rate_limit() keeps its buckets. A store answers at once (in-process: take()) or later
/// (over the network: take_later()); rate_limit() waits for the second kind without holding the
/// worker thread. Both are called on the worker threads, possibly at once.
class RateLimitStore {
 public:
  /// Called with the decision, or nullopt when the store could not decide (unreachable, too
  /// slow); on any thread, at most once.
  using Callback = std::function<void(std::optional<RateLimitDecision>)>;

  virtual ~RateLimitStore() = default;
  /// Refills `key`'s bucket up to `now` and takes one token from it if there is one.
  virtual RateLimitDecision take(std::string_view key, const RateLimitQuota& quota,
                                 std::chrono::steady_clock::time_point now) = 0;
  /// True when take() answers without waiting on anything but a mutex; otherwise rate_limit()
  /// calls take_later() and suspends the request until `done` or its timeout.
  virtual bool answers_at_once() const noexcept { return true; }
  /// take() by default; a remote store sends the request and calls `done` when it is answered.
  virtual void take_later(std::string key, RateLimitQuota quota,
                          std::chrono::steady_clock::time_point now, Callback done) {
    done(take(key, quota, now));
  }
};

/// The in-process store, rate_limit()'s default: buckets in a few mutex-guarded shards, at most
/// `max_keys` of them. A bucket that has refilled completely is the same as no bucket and is
/// dropped when room is needed; when every bucket is still in use, a new key evicts the fullest
/// of a few sampled ones, so clients rotating addresses cannot grow memory beyond the cap (an
/// evicted client starts again with a full bucket). An existing key costs no allocation.
class MemoryRateLimitStore final : public RateLimitStore {
 public:
  explicit MemoryRateLimitStore(std::size_t max_keys = 100'000);
  ~MemoryRateLimitStore() override;
  MemoryRateLimitStore(const MemoryRateLimitStore&) = delete;
  MemoryRateLimitStore& operator=(const MemoryRateLimitStore&) = delete;

  RateLimitDecision take(std::string_view key, const RateLimitQuota& quota,
                         std::chrono::steady_clock::time_point now) override;
  /// How many buckets are held now, full ones not yet dropped included.
  std::size_t size() const;

 private:
  struct Shard;
  std::unique_ptr<Shard[]> shards_;
};

/// What rate_limit() limits, and by which key.
struct RateLimitOptions {
  /// Tokens added per second to each key's bucket: the sustained request rate.
  double rate = 10;
  /// The bucket's size: how many requests a key may make at once after a quiet spell.
  std::int64_t burst = 20;
  /// The key is this request header's value (an API key, a tenant id); requests without it are
  /// keyed by their client address, kept apart from header values. Empty: the client address.
  std::string header = {};
  /// The key computed by your function (a user id set by authentication); takes precedence
  /// over `header`. Called on the worker threads, possibly at once.
  std::function<std::string(Context&)> key = {};
  /// Where the buckets live; null: a MemoryRateLimitStore of its own for this middleware.
  std::shared_ptr<RateLimitStore> store = {};
  /// How long a request waits for a store that answers later (Redis) before it counts as
  /// undecided. The worker serves other requests meanwhile.
  std::chrono::milliseconds timeout{50};
  /// What an undecided request gets (the store is unreachable, too slow or its queue is full):
  /// true lets it through without RateLimit headers, false answers 503 with `Retry-After: 1`.
  bool fail_open = true;
  /// The time; null: std::chrono::steady_clock::now. Tests pass their own.
  std::function<std::chrono::steady_clock::time_point()> clock = {};
};

/// Limits each client to `rate` requests per second with bursts of up to `burst` (a token
/// bucket per key: the client IP, a header or your function). Every answer that passes carries
/// the IETF draft headers `RateLimit-Limit` (the burst), `RateLimit-Remaining` and
/// `RateLimit-Reset` (seconds until the bucket is full again); a request over the limit is
/// answered 429 with them, `Retry-After` (seconds until the next token, rounded up) and
/// `{"error":"rate limit exceeded"}`, and the rest of the chain does not run.
///
/// Behind a proxy, set EngineOptions::trusted_proxies so that c.client_ip() is the client's
/// address, not the proxy's. Install it after cors() so preflights are not counted:
///
///   app.use(sloe::cors(...), sloe::rate_limit({.rate = 5, .burst = 10}));
///   api.use(sloe::rate_limit({.rate = 100, .burst = 200, .header = "X-API-Key"}));
Handler rate_limit(RateLimitOptions options = {});

}  // namespace sloe
