#pragma once
// Where deferred answers and coroutine handlers continue: the worker thread that owns their
// Context. Each worker (and each testing::Client) has one.

#include <chrono>
#include <functional>
#include <memory>

namespace sloe {

class Executor {
 public:
  virtual ~Executor() = default;
  /// Runs `fn` on the executor's thread soon; dropped if the executor has stopped.
  virtual void post(std::function<void()> fn) = 0;
  /// Runs `fn` on the executor's thread after `delay`; dropped if the executor has stopped.
  virtual void post_after(std::chrono::steady_clock::duration delay, std::function<void()> fn) = 0;
};

namespace detail {
/// The executor of the worker running on this thread; null elsewhere.
const std::shared_ptr<Executor>& this_thread_executor();
void set_this_thread_executor(std::shared_ptr<Executor> executor);
}  // namespace detail

}  // namespace sloe
