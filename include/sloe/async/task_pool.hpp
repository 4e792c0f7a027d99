#pragma once
// TaskPool: a bounded thread pool for background work spawned by handlers (after `c.copy()`),
// with per-task scopes, failure recovery and a drain that reports what it had to cut.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "sloe/async/scope.hpp"

namespace sloe {

/// Thrown by `TaskPool::spawn` when `queue_limit` tasks are already waiting. The task was not
/// taken; the caller decides (answer 503, run it inline, drop it). Never blocks.
class TaskQueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by `TaskPool::spawn` once the pool drains (shutdown): no new work is accepted.
class TaskPoolClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Sizing of a TaskPool.
struct TaskPoolOptions {
  /// Worker threads (at least 1).
  std::size_t threads = 4;
  /// Most tasks waiting for a worker (not counting running ones; at least 1). A spawn beyond it
  /// throws TaskQueueFull.
  std::size_t queue_limit = 10000;
  /// Used by the destructor when `drain()` was not called: how long tasks may finish on their
  /// own, then how long cancelled ones get to return.
  std::chrono::steady_clock::duration shutdown_grace = std::chrono::seconds(5);
  std::chrono::steady_clock::duration shutdown_cancel_wait = std::chrono::seconds(1);
};

/// Who spawned a task, for log lines and the drain report.
struct TaskInfo {
  std::string request_id;
  std::string method;
  std::string path;
  /// The request's W3C trace id and span id (hex), empty when it had none.
  std::string trace_id;
  std::string span_id;
};

/// A snapshot of the pool's counters. `queued` and `running` are current values; the others
/// count since construction.
struct TaskPoolStats {
  std::uint64_t spawned = 0;    ///< accepted by spawn()
  std::uint64_t running = 0;    ///< running now
  std::uint64_t queued = 0;     ///< waiting for a worker now
  std::uint64_t finished = 0;   ///< returned, normally or by an exception (failed ones included)
  std::uint64_t failed = 0;     ///< ended by an exception (logged)
  std::uint64_t rejected = 0;   ///< refused by spawn(): queue full or pool closed
  std::uint64_t cancelled = 0;  ///< cut at shutdown: counted by the DrainReport as cancelled
                                ///< or abandoned
};

/// A task that shutdown had to cut.
struct UnfinishedTask {
  enum class Fate {
    dropped,    ///< was still queued at the end of the grace period: never ran; its scope
                ///< was cancelled
    cancelled,  ///< its scope was cancelled (by drain(), or earlier: through the pool's
                ///< scope, the caller's or its own deadline) and it returned before drain() ended
    abandoned,  ///< was running and had not returned when cancel_wait ended
  };
  TaskInfo info;
  Fate fate;
  std::chrono::steady_clock::duration age;  ///< from spawn() to its return or the drain's end
};

/// What became of the tasks a shutdown is answerable for: every task that was queued or
/// running when it began (begin_shutdown(), or drain() when that was not called) and every task
/// accepted after that. Each one is counted exactly once:
/// `finished + cancelled + abandoned` is their number.
struct DrainReport {
  /// Returned before drain() ended without their scope having been cancelled.
  std::size_t finished = 0;
  /// Dropped from the queue, or returned before drain() ended after their scope was cancelled
  /// (by drain() itself, or earlier through the pool's scope, e.g. the engine's lifetime).
  std::size_t cancelled = 0;
  /// Still running when drain() ended; their threads were detached.
  std::size_t abandoned = 0;
  std::vector<UnfinishedTask> unfinished;  ///< one entry per cancelled or abandoned task
};

namespace detail {
/// A move-only `void(const Scope&)` (std::move_only_function is C++23).
class TaskFunction {
 public:
  template <class Fn>
  explicit TaskFunction(Fn&& fn)
      : impl_(std::make_unique<Impl<std::decay_t<Fn>>>(std::forward<Fn>(fn))) {}
  void operator()(const Scope& scope) { impl_->call(scope); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call(const Scope& scope) = 0;
  };
  template <class F>
  struct Impl final : Base {
    template <class G>
    explicit Impl(G&& g) : fn(std::forward<G>(g)) {}
    void call(const Scope& scope) override {
      if constexpr (std::is_invocable_v<F&, const Scope&>) {
        std::invoke(fn, scope);
      } else {
        std::invoke(fn);
      }
    }
    F fn;
  };
  std::unique_ptr<Base> impl_;
};

struct TaskPoolCore;
}  // namespace detail

/// A fixed set of worker threads running background tasks from a bounded FIFO queue.
///
/// Each task runs with its own child of the scope given to spawn(), so drain() can cancel it
/// without touching scopes the caller shares. An exception escaping a task is caught, logged
/// (spdlog, error level, with the task's request id, method and path) and counted; the worker
/// carries on.
///
/// Shutdown: drain() stops accepting, waits up to a grace period, then cancels what is left and
/// waits a little more. A task that ignores cancellation is *abandoned*: its worker thread is
/// detached (it shares ownership of the pool's internals, so it may safely return later) and
/// the drain returns on time. The destructor drains (with TaskPoolOptions::shutdown_grace and
/// shutdown_cancel_wait) if drain() was not called, so it never hangs on such a task either.
///
/// ```
/// sloe::TaskPool pool({.threads = 8}, engine_scope);
/// pool.spawn({std::string(copy.request_id()), "POST", "/orders"},
///            pool.scope().with_timeout(30s),
///            [copy = c.copy()](const sloe::Scope& s) { send_receipt(copy, s.token()); });
/// auto report = pool.drain(10s);  // at shutdown
/// ```
class TaskPool {
 public:
  using clock = std::chrono::steady_clock;

  /// Starts `options.threads` workers. `parent` is the pool's scope (see scope()).
  /// Throws std::invalid_argument when threads or queue_limit is 0.
  explicit TaskPool(TaskPoolOptions options = {}, Scope parent = Scope::background());
  /// Drains with the options' shutdown durations if drain() was not called.
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  /// Queues `fn`, callable as `fn(const Scope&)` or `fn()`, to run on a worker with a child of
  /// `scope`. Never blocks: throws TaskQueueFull when queue_limit tasks are waiting, and
  /// TaskPoolClosed once drain() has started.
  template <class Fn>
  void spawn(TaskInfo info, Scope scope, Fn&& fn) {
    static_assert(std::is_invocable_v<std::decay_t<Fn>&, const Scope&> ||
                      std::is_invocable_v<std::decay_t<Fn>&>,
                  "TaskPool::spawn: fn must be callable as fn(const sloe::Scope&) or fn()");
    enqueue(std::move(info), std::move(scope), detail::TaskFunction(std::forward<Fn>(fn)));
  }

  /// spawn() with the pool's own scope as the task's parent scope.
  template <class Fn>
  void spawn(TaskInfo info, Fn&& fn) {
    spawn(std::move(info), scope(), std::forward<Fn>(fn));
  }

  /// Like spawn(), but hands the result (or the exception) of `fn` to the returned future
  /// instead of logging it; such a task is never counted as failed. A task dropped by drain()
  /// leaves the future with std::future_error (broken_promise).
  ///
  /// ```
  /// std::future<int> n = pool.submit(info, scope, [](const sloe::Scope& s) { return count(s); });
  /// ```
  template <class Fn>
  auto submit(TaskInfo info, Scope scope, Fn&& fn) {
    using F = std::decay_t<Fn>;
    constexpr bool takes_scope = std::is_invocable_v<F&, const Scope&>;
    static_assert(takes_scope || std::is_invocable_v<F&>,
                  "TaskPool::submit: fn must be callable as fn(const sloe::Scope&) or fn()");
    using R = typename std::conditional_t<takes_scope, std::invoke_result<F&, const Scope&>,
                                          std::invoke_result<F&>>::type;
    std::promise<R> promise;
    std::future<R> future = promise.get_future();
    spawn(std::move(info), std::move(scope),
          [promise = std::move(promise), fn = F(std::forward<Fn>(fn))](const Scope& s) mutable {
            try {
              auto call = [&]() -> R {
                if constexpr (takes_scope) {
                  return std::invoke(fn, s);
                } else {
                  return std::invoke(fn);
                }
              };
              if constexpr (std::is_void_v<R>) {
                call();
                promise.set_value();
              } else {
                promise.set_value(call());
              }
            } catch (...) {
              promise.set_exception(std::current_exception());
            }
          });
    return future;
  }

  /// The scope given at construction; derive task scopes from it so that cancelling it (e.g. at
  /// engine shutdown) reaches every task.
  const Scope& scope() const noexcept { return parent_; }

  /// The current counters.
  TaskPoolStats stats() const;

  /// Starts the count that drain() reports (see DrainReport), without refusing new tasks:
  /// call it when shutdown begins if tasks may still be spawned or finish before drain() (an
  /// engine first waits for its in-flight requests), so that those are counted too. drain()
  /// calls it itself when it was not called; calling it again does nothing.
  void begin_shutdown();

  /// Stops accepting tasks, lets queued and running tasks finish for up to `grace`, then
  /// cancels the scopes of the rest (queued ones are dropped without running), waits up to
  /// `cancel_wait` for running ones to return, logs a warning for each task it had to cut and
  /// detaches the threads of abandoned ones. Returns within about grace + cancel_wait. The
  /// report counts the tasks described at DrainReport. Later calls (and calls racing the
  /// first) return an empty report after the first one is done.
  DrainReport drain(clock::duration grace, clock::duration cancel_wait = std::chrono::seconds(1));

 private:
  void enqueue(TaskInfo info, Scope scope, detail::TaskFunction fn);

  TaskPoolOptions options_;
  Scope parent_;
  std::shared_ptr<detail::TaskPoolCore> core_;
  std::vector<std::thread> workers_;
};

/// Returns "dropped", "cancelled" or "abandoned".
std::string_view to_string(UnfinishedTask::Fate fate) noexcept;

}  // namespace sloe
