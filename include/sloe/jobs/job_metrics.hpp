#pragma once
// Prometheus counters for job queues and workers, read from their stats() at each scrape.
//
//   sloe_jobs_{enqueued,fell_back,rejected,lost}_total, sloe_jobs_reconnects_total
//       (register_job_metrics: the producer's side)
//   sloe_worker_jobs_{done,failed,retried,dead_lettered,duplicates,given_back}_total,
//   sloe_worker_reconnects_total   (register_worker_metrics: the consumer's side)

#include "sloe/jobs/job_queue.hpp"
#include "sloe/jobs/worker.hpp"
#include "sloe/metrics/registry.hpp"

namespace sloe {

/// Adds the counters of `queue` (JobQueueStats) to `registry`. `queue` must outlive every scrape
/// of `registry`; registering another queue replaces it.
void register_job_metrics(const JobQueue& queue, MetricsRegistry& registry = default_registry());

/// Adds the counters of `worker` (WorkerStats) to `registry`. `worker` must outlive every scrape
/// of `registry`; registering another worker replaces it.
void register_worker_metrics(const Worker& worker, MetricsRegistry& registry = default_registry());

}  // namespace sloe
