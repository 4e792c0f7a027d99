#pragma once
// sloe::JobQueue: where a handler hands a request's snapshot for slow work ("copy + message
// queue"), answering at once. The handler's code is the same whether the queue is the process's
// own task pool (LocalJobQueue) or a broker that other processes consume (RedisJobQueue).

#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "sloe/context/context_copy.hpp"

namespace sloe {

/// What enqueue() does when the queue cannot take a job now: the broker is down, or so slow
/// that the jobs waiting for it reached their limit. Chosen per call.
enum class WhenUnavailable {
  fail,   ///< throw sloe::JobQueueUnavailable at once; the handler answers 503
  local,  ///< run the job on the process's own LocalJobQueue instead (its fallback)
};

/// How one job is handed over.
struct EnqueueOptions {
  WhenUnavailable when_unavailable = WhenUnavailable::fail;
};

/// Thrown by enqueue() when the queue cannot take the job and the call chose
/// WhenUnavailable::fail (or has no fallback). Never thrown after a wait: enqueue never blocks.
///
/// ```
/// try { jobs.enqueue("receipt", c.copy()); } catch (const sloe::JobQueueUnavailable&) {
///   return c.json(503, {{"error", "try again later"}});
/// }
/// ```
class JobQueueUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A snapshot of a queue's counters, since it was made.
struct JobQueueStats {
  std::uint64_t enqueued = 0;    ///< accepted by enqueue() (for a broker: written to it)
  std::uint64_t fell_back = 0;   ///< run on the local fallback because the broker was unavailable
  std::uint64_t rejected = 0;    ///< refused by enqueue() (JobQueueUnavailable)
  std::uint64_t lost = 0;        ///< accepted, then neither written nor run (logged)
  std::uint64_t reconnects = 0;  ///< connections to the broker made after the first
};

/// Hands jobs to their handlers, named by job name; see LocalJobQueue and RedisJobQueue.
class JobQueue {
 public:
  virtual ~JobQueue() = default;

  /// Hands `copy` to the handler registered for `job`, somewhere else, later; never blocks the
  /// calling (request) thread. Throws JobQueueUnavailable as `options` says.
  virtual void enqueue(std::string_view job, const ContextCopy& copy,
                       EnqueueOptions options = {}) = 0;

  /// The queue's counters; safe from any thread.
  virtual JobQueueStats stats() const = 0;
};

}  // namespace sloe
