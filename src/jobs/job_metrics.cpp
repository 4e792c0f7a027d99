#include "sloe/jobs/job_metrics.hpp"

#include <cstdint>

namespace sloe {

namespace {

template <class Stats>
struct Family {
  const char* name;
  const char* help;
  std::uint64_t Stats::*field;
};

}  // namespace

void register_job_metrics(const JobQueue& queue, MetricsRegistry& registry) {
  static constexpr Family<JobQueueStats> kFamilies[] = {
      {"sloe_jobs_enqueued_total", "Jobs handed to the queue (for a broker: written to it).",
       &JobQueueStats::enqueued},
      {"sloe_jobs_fell_back_total", "Jobs run on the local fallback while the broker was away.",
       &JobQueueStats::fell_back},
      {"sloe_jobs_rejected_total", "Jobs refused by enqueue() (JobQueueUnavailable).",
       &JobQueueStats::rejected},
      {"sloe_jobs_lost_total", "Jobs accepted, then neither written to the broker nor run.",
       &JobQueueStats::lost},
      {"sloe_jobs_reconnects_total", "Connections to the broker made after the first.",
       &JobQueueStats::reconnects},
  };
  for (const auto& family : kFamilies) {
    registry.counter_function(family.name, family.help, [q = &queue, field = family.field] {
      return static_cast<double>(q->stats().*field);
    });
  }
}

void register_worker_metrics(const Worker& worker, MetricsRegistry& registry) {
  static constexpr Family<WorkerStats> kFamilies[] = {
      {"sloe_worker_jobs_done_total", "Jobs run to success, completion recorded and acked.",
       &WorkerStats::done},
      {"sloe_worker_jobs_failed_total", "Job attempts that threw or outlived their deadline.",
       &WorkerStats::failed},
      {"sloe_worker_jobs_retried_total", "Job deliveries after the first.", &WorkerStats::retried},
      {"sloe_worker_jobs_dead_lettered_total", "Jobs moved to their dead-letter stream.",
       &WorkerStats::dead_lettered},
      {"sloe_worker_jobs_duplicates_total", "Jobs delivered again after their completion: acked.",
       &WorkerStats::duplicates},
      {"sloe_worker_jobs_given_back_total", "Jobs left to another worker at shutdown.",
       &WorkerStats::given_back},
      {"sloe_worker_reconnects_total", "Connections to Redis made after a thread's first.",
       &WorkerStats::reconnects},
  };
  for (const auto& family : kFamilies) {
    registry.counter_function(family.name, family.help, [w = &worker, field = family.field] {
      return static_cast<double>(w->stats().*field);
    });
  }
}

}  // namespace sloe
