#pragma once
// sloe::LocalJobQueue: jobs run on a TaskPool of this process; the default, no broker needed.

#include <atomic>
#include <memory>
#include <string_view>

#include "sloe/async/task_pool.hpp"
#include "sloe/context/wire_format.hpp"
#include "sloe/jobs/job_handlers.hpp"
#include "sloe/jobs/job_queue.hpp"

namespace sloe {

/// Runs each job on `pool` (usually the engine's, `app.tasks()`), with the handler registered
/// for its name, as `app.spawn()` runs a task: a child scope of the copy's that the pool's drain
/// can cancel, exceptions caught and logged with the request and trace ids. Nothing survives the
/// process: what a crash interrupts is lost; use RedisJobQueue for that.
///
/// ```
/// auto handlers = std::make_shared<sloe::JobHandlers>();
/// handlers->handle("receipt", [](sloe::ContextCopy& job) { send_receipt(job); });
/// sloe::LocalJobQueue jobs(app.tasks(), handlers);
/// app.post("/orders", [&](sloe::Context& c) { jobs.enqueue("receipt", c.copy()); c.status(202);
/// });
/// ```
class LocalJobQueue final : public JobQueue {
 public:
  /// The pool must outlive the queue. With `wire`, each copy goes through its wire form
  /// (encoded, then decoded) before the handler sees it, so that the handler gets exactly what a
  /// Worker would: a key or header it reads but the WireFormat does not carry shows up in a
  /// test of one process rather than after the move to Redis. enqueue() then throws
  /// WireFormatError as RedisJobQueue's does.
  LocalJobQueue(TaskPool& pool, std::shared_ptr<const JobHandlers> handlers,
                std::shared_ptr<const WireFormat> wire = nullptr);

  /// Spawns the job on the pool. Throws std::invalid_argument when no handler is registered
  /// for `job` (a programming error, not an outage), and JobQueueUnavailable when the pool is
  /// full or closed, whatever `options` say: there is nowhere else to run it.
  void enqueue(std::string_view job, const ContextCopy& copy, EnqueueOptions options = {}) override;
  JobQueueStats stats() const override;

 private:
  TaskPool& pool_;
  std::shared_ptr<const JobHandlers> handlers_;
  std::shared_ptr<const WireFormat> wire_;
  std::atomic<std::uint64_t> enqueued_{0};
  std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace sloe
