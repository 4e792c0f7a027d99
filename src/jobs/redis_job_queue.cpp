#include "sloe/jobs/redis_job_queue.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "jobs/redis_connection.hpp"

namespace sloe {

namespace {
using std::chrono::steady_clock;
}  // namespace

// Owns the Redis connection and the one thread that writes to it; jobs wait in a bounded queue.
class RedisJobQueue::Writer {
 public:
  explicit Writer(RedisJobQueueOptions options)
      : options_(std::move(options)),
        wire_(options_.redis.wire ? options_.redis.wire : std::make_shared<const WireFormat>()),
        redis_("job queue", options_.redis.host, options_.redis.port, options_.redis.timeout,
               options_.redis.timeout, options_.redis.min_backoff, options_.redis.max_backoff),
        max_len_(std::to_string(options_.max_len)) {
    // Before the thread starts: enqueue() knows from the first call whether Redis is there.
    available_.store(redis_.ready(), std::memory_order_relaxed);
    thread_ = std::thread([this] { run(); });
  }

  ~Writer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  void enqueue(std::string_view job, const ContextCopy& copy, EnqueueOptions options) {
    Pending pending{std::string(job),    std::string(copy.request_id()),
                    wire_->encode(copy), options.when_unavailable,
                    std::nullopt,        steady_clock::now() + options_.max_wait};
    const bool fallback = options.when_unavailable == WhenUnavailable::local && options_.fallback;
    if (fallback) pending.copy = copy;  // kept for the fallback, in case Redis goes away
    std::string reason;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        reason = "the queue is shutting down";
      } else if (!available_.load(std::memory_order_relaxed)) {
        reason = "Redis is unavailable";
      } else if (queue_.size() >= options_.max_queued) {
        reason = fmt::format("{} jobs already wait for Redis", queue_.size());
      } else {
        queue_.push_back(std::move(pending));
        wake_.notify_one();
        return;
      }
    }
    if (fallback) {
      options_.fallback->enqueue(job, copy);
      fell_back_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    rejected_.fetch_add(1, std::memory_order_relaxed);
    throw JobQueueUnavailable(fmt::format(
        "sloe: the job \"{}\" of request {} was not queued: {} (Redis at {}:{}); answer 503 or "
        "enqueue with WhenUnavailable::local and a fallback",
        job, copy.request_id(), reason, options_.redis.host, options_.redis.port));
  }

  JobQueueStats stats() const {
    JobQueueStats stats;
    stats.enqueued = enqueued_.load(std::memory_order_relaxed);
    stats.fell_back = fell_back_.load(std::memory_order_relaxed);
    stats.rejected = rejected_.load(std::memory_order_relaxed);
    stats.lost = lost_.load(std::memory_order_relaxed);
    stats.reconnects = reconnects_.load(std::memory_order_relaxed);
    return stats;
  }

  bool available() const { return available_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    std::string job;
    std::string request_id;
    std::string payload;
    WhenUnavailable when_unavailable;
    std::optional<ContextCopy> copy;  // for the fallback
    steady_clock::time_point give_up_at;
  };

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!redis_.connected()) {
        // Reconnect on the backoff's schedule even with nothing to write: enqueue() refuses
        // work while Redis counts as down, so no job would ever come to trigger it.
        lock.unlock();
        const bool up = redis_.ready();
        publish(up);
        lock.lock();
        if (!up) {
          give_up_expired(lock, stopping_);
          if (stopping_ && queue_.empty()) return;
          wake_.wait_until(lock, redis_.retry_at(), [&] { return stopping_; });
          continue;
        }
      }
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, everything written
      Pending& next = queue_.front();
      const std::string stream = options_.redis.key_prefix + next.job;
      lock.unlock();
      // The job stays first in line until Redis has it: a lost connection retries it.
      detail::RedisReply reply =
          redis_.call({"XADD", stream, "MAXLEN", "~", max_len_, "*", "request_id", next.request_id,
                       "payload", next.payload});
      lock.lock();
      if (!reply) {
        publish(false);
        continue;
      }
      Pending written = std::move(queue_.front());
      queue_.pop_front();
      if (reply->type == REDIS_REPLY_ERROR) {
        // Not an outage (e.g. WRONGTYPE: the key is not a stream): retrying would not help.
        lost_.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("sloe: job queue: Redis refused the job \"{}\" of request {} on {}: {}",
                      written.job, written.request_id, stream, detail::reply_text(reply.get()));
        continue;
      }
      enqueued_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void publish(bool up) {
    available_.store(up, std::memory_order_relaxed);
    reconnects_.store(redis_.reconnects(), std::memory_order_relaxed);
  }

  // While Redis is down: the jobs that waited past their max_wait (every one, at shutdown) go
  // where their call said.
  void give_up_expired(std::unique_lock<std::mutex>& lock, bool all) {
    const steady_clock::time_point now = steady_clock::now();
    while (!queue_.empty() && (all || queue_.front().give_up_at <= now)) {
      Pending pending = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      give_up(pending);
      lock.lock();
    }
  }

  void give_up(Pending& pending) {
    if (pending.copy) {
      try {
        options_.fallback->enqueue(pending.job, *pending.copy);
        fell_back_.fetch_add(1, std::memory_order_relaxed);
        return;
      } catch (const std::exception& e) {
        spdlog::error("sloe: job queue: the fallback refused the job \"{}\" of request {}: {}",
                      pending.job, pending.request_id, e.what());
      }
    }
    lost_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error(
        "sloe: job queue: the job \"{}\" of request {} is lost: Redis at {}:{} stayed "
        "unavailable past max_wait, and its call chose no fallback",
        pending.job, pending.request_id, options_.redis.host, options_.redis.port);
  }

  const RedisJobQueueOptions options_;
  const std::shared_ptr<const WireFormat> wire_;
  detail::RedisConnection redis_;  // used by the thread only (and the constructor, before it)
  const std::string max_len_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<bool> available_{false};
  std::atomic<std::uint64_t> enqueued_{0};
  std::atomic<std::uint64_t> fell_back_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::thread thread_;  // last: starts once everything above is ready
};

RedisJobQueue::RedisJobQueue(RedisJobQueueOptions options)
    : writer_(std::make_unique<Writer>(std::move(options))) {}

RedisJobQueue::~RedisJobQueue() = default;

void RedisJobQueue::enqueue(std::string_view job, const ContextCopy& copy, EnqueueOptions options) {
  writer_->enqueue(job, copy, options);
}

JobQueueStats RedisJobQueue::stats() const {
  return writer_->stats();
}

bool RedisJobQueue::available() const {
  return writer_->available();
}

}  // namespace sloe
