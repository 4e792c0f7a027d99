#include "sloe/middleware/redis_rate_limit_store.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sloe {

namespace {

using std::chrono::steady_clock;

// The bucket as rate_limit()'s in-process store keeps it: the time it is full again, moved one
// interval on per token, here in microseconds on Redis's clock. Numbers are formatted with
// %.0f because Lua 5.1 prints large numbers as 1.7e+15, which would lose the microseconds.
constexpr std::string_view kTakeScript = R"lua(
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local full_at = tonumber(redis.call('GET', KEYS[1])) or now
if full_at < now then full_at = now end
local after = full_at + interval
if after - now > capacity then
  return {0, 0, full_at - now, after - now - capacity}
end
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000))
return {1, math.floor((capacity - (after - now)) / interval), after - now, 0}
)lua";

timeval to_timeval(std::chrono::milliseconds duration) {
  return timeval{static_cast<time_t>(duration.count() / 1000),
                 static_cast<suseconds_t>(duration.count() % 1000 * 1000)};
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

// Owns the Redis connection and the one thread that uses it; requests wait in a bounded queue.
class RedisRateLimitStore::Worker {
 public:
  explicit Worker(RedisRateLimitOptions options)
      : options_(std::move(options)), backoff_(options_.min_backoff), thread_([this] { run(); }) {}

  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    for (Request& request : queue_) request.done(std::nullopt);
    if (redis_) redisFree(redis_);
  }

  void submit(std::string key, RateLimitQuota quota, Callback done) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_ && queue_.size() < options_.max_queued) {
        queue_.push_back(Request{std::move(key), quota, steady_clock::now() + options_.timeout,
                                 std::move(done)});
        wake_.notify_one();
        return;
      }
    }
    done(std::nullopt);
  }

 private:
  struct Request {
    std::string key;
    RateLimitQuota quota;
    steady_clock::time_point deadline;
    Callback done;
  };

  void run() {
    for (;;) {
      Request request;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        request = std::move(queue_.front());
        queue_.pop_front();
      }
      // One that waited past its deadline has been given up by its request already.
      if (steady_clock::now() >= request.deadline) {
        request.done(std::nullopt);
        continue;
      }
      request.done(take(request));
    }
  }

  std::optional<RateLimitDecision> take(const Request& request) {
    if (!connect()) return std::nullopt;
    std::int64_t interval = std::max<std::int64_t>(1, std::llround(1e6 / request.quota.rate));
    std::string key = options_.key_prefix + request.key;
    std::string interval_text = std::to_string(interval);
    std::string capacity_text = std::to_string(interval * request.quota.burst);
    Reply reply = call({"EVALSHA", script_sha_, "1", key, interval_text, capacity_text});
    if (reply && reply->type == REDIS_REPLY_ERROR &&
        std::string_view(reply->str, reply->len).starts_with("NOSCRIPT")) {
      // Redis restarted or flushed its scripts: EVAL sends the script and caches it again.
      reply = call({"EVAL", kTakeScript, "1", key, interval_text, capacity_text});
    }
    if (!reply) return std::nullopt;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
      went_down(reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                 : "unexpected reply to the rate limit script");
      return std::nullopt;
    }
    auto number = [&](std::size_t i) { return reply->element[i]->integer; };
    RateLimitDecision decision;
    decision.allowed = number(0) == 1;
    decision.remaining = number(1);
    decision.reset = std::chrono::microseconds(number(2));
    decision.retry_after = std::chrono::microseconds(number(3));
    return decision;
  }

  // Sends one command; null (and the connection dropped) on an I/O error or a timeout.
  Reply call(std::initializer_list<std::string_view> arguments) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (std::string_view argument : arguments) {
      argv.push_back(argument.data());
      lengths.push_back(argument.size());
    }
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(redis_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) went_down(redis_->errstr[0] != '\0' ? redis_->errstr : "no reply");
    return reply;
  }

  // Connects unless connected, or waiting out the backoff after a failure.
  bool connect() {
    if (redis_) return true;
    if (steady_clock::now() < retry_at_) return false;
    redis_ =
        redisConnectWithTimeout(options_.host.c_str(), options_.port, to_timeval(options_.timeout));
    if (redis_ == nullptr || redis_->err) {
      went_down(redis_ ? redis_->errstr : "cannot allocate a connection");
      return false;
    }
    redisSetTimeout(redis_, to_timeval(options_.timeout));
    Reply loaded = call({"SCRIPT", "LOAD", kTakeScript});
    if (!loaded) return false;
    if (loaded->type != REDIS_REPLY_STRING) {
      went_down("SCRIPT LOAD refused");
      return false;
    }
    script_sha_.assign(loaded->str, loaded->len);
    backoff_ = options_.min_backoff;
    if (down_) {
      down_ = false;
      spdlog::info("sloe: rate limit store: Redis at {}:{} is reachable again", options_.host,
                   options_.port);
    }
    return true;
  }

  // Drops the connection and waits out a growing backoff; warns only on the way down.
  void went_down(const std::string& reason) {
    if (redis_) {
      redisFree(redis_);
      redis_ = nullptr;
    }
    retry_at_ = steady_clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    if (!down_) {
      down_ = true;
      spdlog::warn(
          "sloe: rate limit store: Redis at {}:{} is unavailable ({}); requests are decided by "
          "rate_limit()'s fail_open until it is back",
          options_.host, options_.port, reason);
    }
  }

  const RedisRateLimitOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  // Used by the thread only.
  redisContext* redis_ = nullptr;
  std::string script_sha_;
  bool down_ = false;
  std::chrono::milliseconds backoff_;
  steady_clock::time_point retry_at_{};
  std::thread thread_;  // last: starts once everything above is ready
};

RedisRateLimitStore::RedisRateLimitStore(RedisRateLimitOptions options)
    : worker_(std::make_unique<Worker>(std::move(options))) {}

RedisRateLimitStore::~RedisRateLimitStore() = default;

RateLimitDecision RedisRateLimitStore::take(std::string_view key, const RateLimitQuota& quota,
                                            steady_clock::time_point now) {
  auto answer = std::make_shared<std::promise<std::optional<RateLimitDecision>>>();
  std::future<std::optional<RateLimitDecision>> decided = answer->get_future();
  take_later(std::string(key), quota, now,
             [answer](std::optional<RateLimitDecision> decision) { answer->set_value(decision); });
  std::optional<RateLimitDecision> decision = decided.get();
  if (!decision) throw RateLimitStoreUnavailable("sloe: Redis did not decide the rate limit");
  return *decision;
}

void RedisRateLimitStore::take_later(std::string key, RateLimitQuota quota,
                                     steady_clock::time_point, Callback done) {
  worker_->submit(std::move(key), quota, std::move(done));
}

}  // namespace sloe
