#pragma once
// sloe::JobHandlers: the code that runs each job, by job name, shared by the queue that runs jobs
// in process and by the Worker that consumes them from a broker.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/context/context_copy.hpp"

namespace sloe {

/// Runs one job. It gets the request's snapshot (rebuilt from the broker's copy when the job
/// crossed processes) with a scope that ends at the job's deadline or at shutdown. Throwing
/// marks the attempt failed: it is logged, and a broker delivers the job again later.
using JobHandler = std::function<void(ContextCopy& job)>;

/// Job handlers by name. Fill it before handing it to a queue or worker; then it is read-only and
/// safe to share between threads.
///
/// ```
/// sloe::JobHandlers handlers;
/// handlers.handle("receipt", [](sloe::ContextCopy& job) { send_receipt(job.param("id")); });
/// ```
class JobHandlers {
 public:
  /// Registers `handler` for `job`, replacing one registered before under that name.
  JobHandlers& handle(std::string job, JobHandler handler);
  /// The handler of `job`; nullptr when none is registered.
  const JobHandler* find(std::string_view job) const;
  /// Every registered job name, sorted.
  std::vector<std::string> names() const;

 private:
  std::map<std::string, JobHandler, std::less<>> handlers_;
};

}  // namespace sloe
