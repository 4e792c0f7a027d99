#pragma once
// sloe::RedisJobQueue: jobs handed to a Redis stream, for sloe::Worker processes to run.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "sloe/jobs/job_queue.hpp"
#include "sloe/jobs/redis_job_options.hpp"

namespace sloe {

/// How a RedisJobQueue hands jobs over, and what it does while Redis is away.
struct RedisJobQueueOptions {
  RedisJobOptions redis{};
  /// Each stream is trimmed to about this many entries (XADD MAXLEN ~): acknowledged jobs are
  /// kept for inspection until then. Jobs still pending are trimmed too, so keep it well above
  /// what the workers may fall behind.
  std::size_t max_len = 100'000;
  /// Jobs waiting for the Redis thread; past it enqueue() applies its WhenUnavailable at once.
  std::size_t max_queued = 10'000;
  /// How long an accepted job may wait for Redis to come back (it was reachable when the job
  /// was accepted); then its WhenUnavailable applies: run on `fallback`, or logged and lost.
  std::chrono::milliseconds max_wait{5'000};
  /// Runs the jobs of calls that chose WhenUnavailable::local while Redis is unavailable;
  /// usually a LocalJobQueue on the engine's pool. Must outlive this queue. Null: such calls
  /// fail as WhenUnavailable::fail does.
  JobQueue* fallback = nullptr;
};

/// Hands each job to the Redis stream of its name (XADD), with the request id as its
/// idempotency key; sloe::Worker processes consume them. The writes run on one thread of the
/// queue's own, never on the request's: enqueue() encodes the copy (WireFormat) and returns.
///
/// While Redis is unreachable (known from the thread's last try; it reconnects with backoff),
/// enqueue() fails fast with JobQueueUnavailable or runs the job on the fallback, as each call
/// chooses. Counters: stats().
///
/// ```
/// sloe::LocalJobQueue local(app.tasks(), handlers);
/// sloe::RedisJobQueue jobs({.redis = {.host = "10.0.0.5"}, .fallback = &local});
/// app.post("/orders", [&](sloe::Context& c) {
///   try {
///     jobs.enqueue("receipt", c.copy());  // or {.when_unavailable = sloe::WhenUnavailable::local}
///   } catch (const sloe::JobQueueUnavailable&) { return c.json(503, {{"error", "busy"}}); }
///   c.json(202, {{"status", "queued"}});
/// });
/// ```
class RedisJobQueue final : public JobQueue {
 public:
  /// Tries to connect once (up to `redis.timeout`) before returning, so that enqueue() knows
  /// at once whether Redis is there; then starts the thread.
  explicit RedisJobQueue(RedisJobQueueOptions options = {});
  /// Writes the jobs still waiting while Redis answers; what it cannot write goes to the
  /// fallback or is logged as lost, as its call chose.
  ~RedisJobQueue() override;
  RedisJobQueue(const RedisJobQueue&) = delete;
  RedisJobQueue& operator=(const RedisJobQueue&) = delete;

  /// Encodes `copy` (throws WireFormatError, e.g. a body over the cap) and queues it for the
  /// Redis thread. When Redis is unavailable or max_queued jobs wait: runs it on the fallback
  /// (WhenUnavailable::local, with a fallback) or throws JobQueueUnavailable.
  void enqueue(std::string_view job, const ContextCopy& copy, EnqueueOptions options = {}) override;
  JobQueueStats stats() const override;
  /// Whether Redis answered the last try; enqueue() fails fast (or falls back) while false.
  bool available() const;

 private:
  class Writer;
  std::unique_ptr<Writer> writer_;
};

}  // namespace sloe
