#include "sloe/async/executor.hpp"

namespace sloe::detail {

namespace {
thread_local std::shared_ptr<Executor> current;
}

const std::shared_ptr<Executor>& this_thread_executor() {
  return current;
}
void set_this_thread_executor(std::shared_ptr<Executor> executor) {
  current = std::move(executor);
}

}  // namespace sloe::detail
