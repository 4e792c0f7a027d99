#include "sloe/jobs/local_job_queue.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "context/copy_access.hpp"
#include "jobs/run_job.hpp"

namespace sloe {

LocalJobQueue::LocalJobQueue(TaskPool& pool, std::shared_ptr<const JobHandlers> handlers,
                             std::shared_ptr<const WireFormat> wire)
    : pool_(pool), handlers_(std::move(handlers)), wire_(std::move(wire)) {
  if (!handlers_) throw std::invalid_argument("sloe: LocalJobQueue needs its JobHandlers");
}

void LocalJobQueue::enqueue(std::string_view job, const ContextCopy& copy, EnqueueOptions) {
  const JobHandler* handler = handlers_->find(job);
  if (handler == nullptr) {
    throw std::invalid_argument(fmt::format(
        "sloe: no handler for the job \"{}\": register it with JobHandlers::handle", job));
  }
  // The scope's deadline crosses the wire too; the parent keeps the copy's other ancestors.
  ContextCopy job_copy = wire_ ? wire_->decode(wire_->encode(copy), copy.scope()) : copy;
  Scope parent = job_copy.scope();  // before the task takes the copy
  TaskInfo info{std::string(copy.request_id()), std::string(copy.method()),
                std::string(copy.path()), std::string(copy.trace_id()),
                std::string(copy.span_id())};
  try {
    // The handlers stay alive with the task, whatever happens to the queue.
    pool_.spawn(std::move(info), std::move(parent),
                [handlers = handlers_, handler, name = std::string(job),
                 job = std::move(job_copy)](const Scope& task) mutable {
                  detail::CopyAccess::rescope(job, task);  // drain() can cancel this one
                  detail::run_job(name, *handler, job, 1);
                });
  } catch (const TaskQueueFull& e) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    throw JobQueueUnavailable(fmt::format("sloe: the local job queue is full: {}", e.what()));
  } catch (const TaskPoolClosed& e) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    throw JobQueueUnavailable(fmt::format("sloe: the local job queue is closed: {}", e.what()));
  }
  enqueued_.fetch_add(1, std::memory_order_relaxed);
}

JobQueueStats LocalJobQueue::stats() const {
  JobQueueStats stats;
  stats.enqueued = enqueued_.load(std::memory_order_relaxed);
  stats.rejected = rejected_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace sloe
