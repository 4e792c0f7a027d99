#include "sloe/middleware/rate_limit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <coroutine>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "sloe/context/context.hpp"

namespace sloe {

namespace {

using std::chrono::nanoseconds;
using std::chrono::steady_clock;

// The bucket is kept as one number, the time at which it will be full again (the "theoretical
// arrival time" of the generic cell rate algorithm, which is a token bucket in other words):
// a bucket whose full-again time has passed is full, and each token taken moves it one
// emission interval (1/rate) later. A request is allowed while the bucket would not hold more
// than `burst` intervals of debt.
struct BucketMath {
  nanoseconds interval;  // time to refill one token
  nanoseconds capacity;  // time to refill the whole bucket from empty

  explicit BucketMath(const RateLimitQuota& quota)
      : interval(static_cast<std::int64_t>(std::llround(1e9 / quota.rate))),
        capacity(interval * quota.burst) {}

  // Takes a token from the bucket full again at `full_at` (advanced when allowed).
  RateLimitDecision take(steady_clock::time_point& full_at, steady_clock::time_point now) const {
    steady_clock::time_point after = std::max(full_at, now) + interval;
    RateLimitDecision decision;
    if (after - now > capacity) {
      decision.retry_after = after - now - capacity;
      decision.reset = full_at - now;
      return decision;
    }
    full_at = after;
    decision.allowed = true;
    decision.remaining = (capacity - (after - now)) / interval;
    decision.reset = after - now;
    return decision;
  }
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept {
    return std::hash<std::string_view>{}(key);
  }
};

constexpr std::size_t kShardCount = 16;
// How many buckets a full shard looks at to find one to evict (as Redis samples for its LRU).
constexpr int kEvictionSample = 5;

std::string_view format_seconds(char (&buffer)[24], nanoseconds duration) {
  // Rounded up: a client that waits this long finds the token there.
  auto seconds = std::chrono::ceil<std::chrono::seconds>(std::max(duration, nanoseconds(0)));
  auto end = fmt::format_to_n(buffer, sizeof buffer, "{}", seconds.count()).out;
  return {buffer, static_cast<std::size_t>(end - buffer)};
}

// The request's bucket key; `storage` holds it when it had to be computed.
std::string_view request_key(Context& c, const RateLimitOptions& options, std::string& storage) {
  if (options.key) {
    storage = options.key(c);
    return storage;
  }
  if (options.header.empty()) return c.client_ip();
  if (std::string_view value = c.header(options.header); !value.empty()) return value;
  // Keyed by address behind a NUL, which no header value holds, so that a client cannot spend
  // another's budget by sending that client's address as the header. The buffer is reused.
  thread_local std::string address_key;
  address_key.assign(1, '\0');
  address_key += c.client_ip();
  return address_key;
}

// The options, checked, and the answer every request gets from a decision.
struct Limiter {
  explicit Limiter(RateLimitOptions o)
      : options(std::move(o)), limit(std::to_string(options.burst)) {}

  RateLimitQuota quota() const { return {options.rate, options.burst}; }

  // True to let the request on; otherwise answers it 429 (over the limit) or 503 (undecided,
  // failing closed) and aborts the chain.
  bool answer(Context& c, const std::optional<RateLimitDecision>& decision) const {
    if (!decision) {
      if (options.fail_open) return true;
      c.header("Retry-After", "1");
      c.abort_with_status_json(503, {{"error", "rate limit unavailable"}});
      return false;
    }
    char remaining[24];
    char reset[24];
    auto end = fmt::format_to_n(remaining, sizeof remaining, "{}", decision->remaining).out;
    c.header("RateLimit-Limit", limit);
    c.header("RateLimit-Remaining",
             std::string_view(remaining, static_cast<std::size_t>(end - remaining)));
    c.header("RateLimit-Reset", format_seconds(reset, decision->reset));
    if (decision->allowed) return true;
    char retry_after[24];
    c.header("Retry-After", format_seconds(retry_after, decision->retry_after));
    c.abort_with_status_json(429, {{"error", "rate limit exceeded"}});
    return false;
  }

  RateLimitOptions options;
  std::string limit;  // RateLimit-Limit's value
};

// A question to a store that answers later, on the heap: the store's thread, the request's
// timeout and the coroutine share it, and the first of the answer and the timeout resumes.
struct StoreQuestion : std::enable_shared_from_this<StoreQuestion> {
  std::string key;
  std::atomic<bool> settled{false};
  std::optional<RateLimitDecision> decision;
  std::coroutine_handle<> waiting;
  // Weak: the question sits in the executor's own timer queue, which must not keep the
  // executor alive (a testing::Client's executor is destroyed with those timers in it).
  std::weak_ptr<Executor> executor;
};

// Holds only trivially copied members: GCC 12 may copy an awaiter bytewise in the frame (a
// shared_ptr copied so would be released twice). The coroutine's local owns the question; the
// timer and the store's callback take their own shares.
struct AskStore {
  const Limiter* limiter;
  steady_clock::time_point now;
  StoreQuestion* question;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    question->waiting = waiting;
    const std::shared_ptr<Executor>& executor = detail::require_executor();
    question->executor = executor;
    executor->post_after(limiter->options.timeout, [question = question->shared_from_this()] {
      if (!question->settled.exchange(true)) question->waiting.resume();
    });
    limiter->options.store->take_later(
        std::move(question->key), limiter->quota(), now,
        [question = question->shared_from_this()](std::optional<RateLimitDecision> decision) {
          if (question->settled.exchange(true)) return;
          question->decision = decision;
          if (std::shared_ptr<Executor> executor = question->executor.lock()) {
            executor->post([question] { question->waiting.resume(); });
          }
        });
  }
  std::optional<RateLimitDecision> await_resume() const { return question->decision; }
};

}  // namespace

struct MemoryRateLimitStore::Shard {
  mutable std::mutex mutex;
  std::unordered_map<std::string, steady_clock::time_point, KeyHash, std::equal_to<>> buckets;
  std::size_t capacity = 0;
  steady_clock::time_point last_sweep{};
  std::uint64_t random_state = 0x9e3779b97f4a7c15ULL;

  // Makes room for one bucket: drops the full ones (at most once a second, as a sweep walks
  // the whole shard), else evicts the fullest of a few sampled ones, which loses the least.
  void make_room(steady_clock::time_point now) {
    if (now - last_sweep >= std::chrono::seconds(1)) {
      last_sweep = now;
      std::erase_if(buckets, [now](const auto& bucket) { return bucket.second <= now; });
      if (buckets.size() < capacity) return;
    }
    std::size_t bucket_count = buckets.bucket_count();
    std::size_t index = next_random() % bucket_count;
    auto victim = buckets.end();
    int seen = 0;
    for (std::size_t step = 0; step < bucket_count && seen < kEvictionSample; ++step) {
      std::size_t slot = (index + step) % bucket_count;
      for (auto it = buckets.begin(slot); it != buckets.end(slot) && seen < kEvictionSample;
           ++it, ++seen) {
        if (victim == buckets.end() || it->second < victim->second)
          victim = buckets.find(it->first);
      }
    }
    if (victim != buckets.end()) buckets.erase(victim);
  }

  std::uint64_t next_random() {  // xorshift64: spreads the samples, no need to be unguessable
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
  }
};

MemoryRateLimitStore::MemoryRateLimitStore(std::size_t max_keys)
    : shards_(std::make_unique<Shard[]>(kShardCount)) {
  if (max_keys < kShardCount) {
    throw std::invalid_argument(
        fmt::format("sloe: MemoryRateLimitStore needs max_keys of at least {}", kShardCount));
  }
  for (std::size_t i = 0; i < kShardCount; ++i) {
    shards_[i].capacity = max_keys / kShardCount;
    shards_[i].random_state += i;
  }
}

MemoryRateLimitStore::~MemoryRateLimitStore() = default;

RateLimitDecision MemoryRateLimitStore::take(std::string_view key, const RateLimitQuota& quota,
                                             steady_clock::time_point now) {
  BucketMath math(quota);
  std::size_t hash = KeyHash{}(key);
  // The low bits pick the map's slot; the high ones the shard, so the two stay independent.
  Shard& shard = shards_[(hash >> 56) % kShardCount];
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.buckets.find(key); it != shard.buckets.end()) {
    return math.take(it->second, now);
  }
  steady_clock::time_point full_at = now;
  RateLimitDecision decision = math.take(full_at, now);
  if (shard.buckets.size() >= shard.capacity) shard.make_room(now);
  shard.buckets.emplace(std::string(key), full_at);
  return decision;
}

std::size_t MemoryRateLimitStore::size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].buckets.size();
  }
  return total;
}

Handler rate_limit(RateLimitOptions options) {
  // The bounds keep the bucket's nanosecond arithmetic exact and far from overflow.
  if (!(options.rate >= 1e-6 && options.rate <= 1e9) || options.burst < 1 ||
      static_cast<double>(options.burst) / options.rate > 1e9) {
    throw std::invalid_argument(
        "sloe: rate_limit() needs a rate from 1e-6 to 1e9 per second, a burst of 1 or more, and "
        "burst / rate under 1e9 seconds");
  }
  if (!options.store) options.store = std::make_shared<MemoryRateLimitStore>();
  if (!options.clock) options.clock = [] { return steady_clock::now(); };
  auto limiter = std::make_shared<const Limiter>(std::move(options));
  if (limiter->options.store->answers_at_once()) {
    return [limiter](Context& c) {
      std::string computed_key;
      std::string_view key = request_key(c, limiter->options, computed_key);
      RateLimitDecision decision =
          limiter->options.store->take(key, limiter->quota(), limiter->options.clock());
      if (limiter->answer(c, decision)) c.next();
    };
  }
  // The coroutine keeps the worker free while the store decides; the chain waits for it.
  return detail::to_handler([limiter](Context& c) -> Task<> {
    std::string computed_key;
    auto asked = std::make_shared<StoreQuestion>();
    asked->key = request_key(c, limiter->options, computed_key);
    std::optional<RateLimitDecision> decision =
        co_await AskStore{limiter.get(), limiter->options.clock(), asked.get()};
    // Allowed: ending without next() lets the chain go on, as a plain handler returning.
    limiter->answer(c, decision);
  });
}

}  // namespace sloe
