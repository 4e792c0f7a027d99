#pragma once
// One run of a job's handler, the same for every queue and for the Worker: recovery, logging with
// the request and trace ids, and the rule that says whether the job is done.

#include <cstdint>
#include <string_view>

#include "sloe/jobs/job_handlers.hpp"

namespace sloe::detail {

enum class JobOutcome {
  done,    ///< returned without throwing, its scope not cancelled
  failed,  ///< threw (logged)
  cut,     ///< returned after its scope was cancelled (deadline, shutdown): not done
};

/// Runs `handler` on `job`. A handler that returns because its scope ended has not done its work,
/// so only a return with the scope still live counts as done.
JobOutcome run_job(std::string_view name, const JobHandler& handler, ContextCopy& job,
                   std::uint64_t attempt);

}  // namespace sloe::detail
