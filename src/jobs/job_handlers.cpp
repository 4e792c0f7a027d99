#include "sloe/jobs/job_handlers.hpp"

#include <utility>

namespace sloe {

JobHandlers& JobHandlers::handle(std::string job, JobHandler handler) {
  handlers_.insert_or_assign(std::move(job), std::move(handler));
  return *this;
}

const JobHandler* JobHandlers::find(std::string_view job) const {
  auto found = handlers_.find(job);
  return found == handlers_.end() ? nullptr : &found->second;
}

std::vector<std::string> JobHandlers::names() const {
  std::vector<std::string> names;
  for (const auto& entry : handlers_) names.push_back(entry.first);
  return names;
}

}  // namespace sloe
