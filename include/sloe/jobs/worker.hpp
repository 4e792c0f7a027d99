#pragma once
// sloe::Worker: the process mode that consumes jobs from Redis Streams and runs their handlers,
// with the same ContextCopy API a spawned task gets.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sloe/async/scope.hpp"
#include "sloe/jobs/job_handlers.hpp"
#include "sloe/jobs/redis_job_options.hpp"

namespace sloe {

namespace detail {
struct WorkerCore;
}  // namespace detail

/// How a Worker consumes.
struct WorkerOptions {
  RedisJobOptions redis{};
  /// The consumer group: workers in one group share the jobs, each job goes to one of them.
  std::string group = "sloe-workers";
  /// This worker's name in the group; empty: "<hostname>-<pid>". Each thread adds "-<n>".
  std::string consumer{};
  /// Threads, each with its own connection, running one job at a time.
  std::size_t concurrency = 4;
  /// A job delivered but not acknowledged for this long (its worker crashed, or the job
  /// failed) is claimed (XAUTOCLAIM) and run again. Longer than a job's longest run: a job still
  /// running when it passes is run a second time elsewhere (its completion is recorded once).
  std::chrono::milliseconds visibility_timeout{30'000};
  /// Deliveries before a job goes to the dead-letter stream `<key_prefix><job>:dead`.
  std::uint32_t max_attempts = 5;
  /// How long one read waits for a job (XREADGROUP BLOCK): also how soon a stop is noticed.
  std::chrono::milliseconds poll{500};
  /// How long a completion is remembered: a copy of the job delivered within it is acknowledged
  /// without running.
  std::chrono::seconds done_ttl{std::chrono::hours(24)};
  /// The dead-letter streams are trimmed to about this many entries.
  std::size_t dead_letter_max_len = 100'000;
  /// How long stop() (and run(), at SIGINT/SIGTERM) lets running jobs finish before cancelling
  /// their scopes.
  std::chrono::milliseconds shutdown_grace{10'000};
};

/// A snapshot of a Worker's counters, since it was made.
struct WorkerStats {
  std::uint64_t done = 0;           ///< ran to success; completion recorded and acknowledged
  std::uint64_t failed = 0;         ///< attempts that threw or outlived their deadline
  std::uint64_t retried = 0;        ///< deliveries after the first (reclaimed after a timeout)
  std::uint64_t dead_lettered = 0;  ///< moved to the dead-letter stream
  std::uint64_t duplicates = 0;     ///< delivered again after their completion: acked, not run
  std::uint64_t given_back = 0;     ///< left for another worker at shutdown
  std::uint64_t reconnects = 0;     ///< connections to Redis made after a thread's first
};

/// Consumes the jobs of every name in `handlers` from Redis Streams (written by RedisJobQueue)
/// and runs them, at least once each:
///
/// - reads with a consumer group (XREADGROUP); a job is acknowledged (XACK) only after its
///   handler returned, in one Lua script that also records its completion under its request id,
///   so a job delivered again (a crash between the handler and the ack, a duplicate) is
///   acknowledged without running a second time;
/// - claims jobs left unacknowledged past `visibility_timeout` (XAUTOCLAIM): those of a crashed
///   worker, and failed attempts, which are thus retried after that delay;
/// - moves a job delivered more than `max_attempts` times, one that cannot be read, or one whose
///   deadline passed before it ran to the dead-letter stream, with the reason;
/// - runs each handler with the job's ContextCopy, rebuilt from the wire: scope a child of the
///   worker's lifetime with the job's deadline, exceptions caught and logged with the request
///   and trace ids. A handler counts as done when it returns without throwing and its scope is
///   not cancelled (one that gave up at the deadline or at shutdown has not done its work);
/// - reconnects with backoff while Redis is away.
///
/// ```
/// auto handlers = std::make_shared<sloe::JobHandlers>();
/// handlers->handle("receipt", [](sloe::ContextCopy& job) { send_receipt(job.param("id")); });
/// sloe::Worker worker(handlers, {.redis = {.host = "10.0.0.5"}, .concurrency = 8});
/// worker.run();  // until SIGINT or SIGTERM; running jobs finish or are given back
/// ```
class Worker {
 public:
  /// Throws std::invalid_argument when `handlers` is null or empty, or concurrency is 0.
  explicit Worker(std::shared_ptr<const JobHandlers> handlers, WorkerOptions options = {});
  /// stop() if it is running.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Starts the consumer threads and returns. Calling it again does nothing.
  void start();
  /// start(), then waits for SIGINT or SIGTERM (sent to the process, or to this thread), then
  /// stop(). The consumer threads (and threads they start) block those signals, so they reach
  /// this thread; threads the program started before run() must block them too (or call run()
  /// before starting any), else the kernel may hand a signal to one of them.
  void run();
  /// Stops reading; lets running jobs finish for up to `shutdown_grace`, then cancels their
  /// scopes and waits for them to return. A job cut that way, or read but not started, is given
  /// back: it stays pending in Redis, marked idle for a whole visibility timeout (XCLAIM IDLE,
  /// without counting an attempt), so that another worker claims it at once. Nothing is lost.
  /// Safe from any thread; later calls do nothing.
  void stop();

  /// The counters; safe from any thread.
  WorkerStats stats() const;
  /// The parent of every job's scope; cancelled when stop() gives up waiting.
  const Scope& lifetime() const;

 private:
  std::shared_ptr<detail::WorkerCore> core_;
};

}  // namespace sloe
