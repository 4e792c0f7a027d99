#include "jobs/run_job.hpp"

#include <exception>

namespace sloe::detail {

JobOutcome run_job(std::string_view name, const JobHandler& handler, ContextCopy& job,
                   std::uint64_t attempt) {
  try {
    handler(job);
  } catch (const std::exception& e) {
    job.error("sloe: job {} (attempt {}) failed: {}", name, attempt, e.what());
    return JobOutcome::failed;
  } catch (...) {
    job.error("sloe: job {} (attempt {}) failed: an exception not derived from std::exception",
              name, attempt);
    return JobOutcome::failed;
  }
  if (job.scope().cancelled()) {
    job.warn("sloe: job {} (attempt {}) returned after its scope ended ({}): not counted as done",
             name, attempt, to_string(job.scope().reason()));
    return JobOutcome::cut;
  }
  return JobOutcome::done;
}

}  // namespace sloe::detail
