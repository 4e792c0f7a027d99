#pragma once
// sloe::Task<T>: the coroutine type of coroutine handlers, and the awaitables they use.
//
//   app.get("/slow", [](sloe::Context& c) -> sloe::Task<> {
//     if (!co_await sloe::sleep_for(c.scope(), 100ms)) co_return;  // cancelled
//     int n = co_await sloe::offload(app.tasks(), c.scope(), [] { return expensive(); });
//     c.json(200, {{"n", n}});  // back on the Context's worker thread
//   });
//
// Every awaitable here resumes the coroutine on the worker thread it was awaited on, so a
// coroutine handler's Context never crosses threads.

#include <atomic>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "sloe/async/executor.hpp"
#include "sloe/async/scope.hpp"
#include "sloe/async/task_pool.hpp"

namespace sloe {

template <class T = void>
class Task;

namespace detail {

// At its end a task resumes whoever awaited it (symmetric transfer: no stack growth).
struct ResumeContinuation {
  bool await_ready() noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) noexcept {
    auto next = self.promise().continuation;
    return next ? next : std::noop_coroutine();
  }
  void await_resume() noexcept {}
};

struct TaskPromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  std::suspend_always initial_suspend() noexcept { return {}; }
  ResumeContinuation final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

/// A lazily started coroutine producing a T; `co_await` it to run it and get the T (or its
/// exception).
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return !handle_ || handle_.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    handle_.promise().continuation = caller;
    return handle_;
  }
  T await_resume() { return handle_.promise().take(); }

 private:
  friend promise_type;
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}

inline const std::shared_ptr<Executor>& require_executor() {
  const auto& executor = this_thread_executor();
  if (!executor) {
    throw std::logic_error(
        "sloe: this awaitable needs a sloe worker thread; co_await it inside a coroutine handler");
  }
  return executor;
}

// Resumes a suspended coroutine exactly once, from whichever event comes first.
struct OneShotResume {
  std::coroutine_handle<> handle;
  std::atomic<bool> fired{false};
  bool fire() {
    if (fired.exchange(true)) return false;
    handle.resume();
    return true;
  }
};
}  // namespace detail

/// Waits `duration` on the worker's timer without blocking the worker. Returns true when the
/// time passed, false when `scope` was cancelled first (then it returns at once).
inline auto sleep_for(const Scope& scope, std::chrono::steady_clock::duration duration) {
  struct Sleep {
    Scope scope;
    std::chrono::steady_clock::duration duration;
    CancelRegistration on_cancel;

    bool await_ready() const noexcept { return scope.cancelled(); }
    void await_suspend(std::coroutine_handle<> handle) {
      std::shared_ptr<Executor> executor = detail::require_executor();
      auto resume = std::make_shared<detail::OneShotResume>();
      resume->handle = handle;
      executor->post_after(duration, [resume] { resume->fire(); });
      on_cancel =
          scope.on_cancel([resume, executor] { executor->post([resume] { resume->fire(); }); });
    }
    bool await_resume() {
      on_cancel.reset();
      return !scope.cancelled();
    }
  };
  return Sleep{scope, duration, {}};
}

/// Runs `fn(scope)` (or `fn()`) on `pool` and resumes on this worker thread with its result or
/// its exception. The worker serves other requests meanwhile. Throws sloe::TaskQueueFull like
/// TaskPool::spawn when the pool's queue is full.
template <class F>
auto offload(TaskPool& pool, const Scope& scope, F&& function) {
  // Taken by reference and moved to the heap at once: GCC 12 may copy by-value arguments and
  // awaiters inside a coroutine frame bytewise, which breaks short strings in the closure.
  using Fn = std::decay_t<F>;
  using Result = std::conditional_t<std::is_invocable_v<Fn&, const Scope&>,
                                    std::invoke_result<Fn&, const Scope&>, std::invoke_result<Fn&>>;
  using R = typename Result::type;
  struct State {
    explicit State(Fn f) : fn(std::move(f)) {}
    Fn fn;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
    std::exception_ptr error;
  };
  struct Offload {
    TaskPool* pool;
    Scope scope;
    std::shared_ptr<State> state;

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) {
      std::shared_ptr<Executor> executor = detail::require_executor();
      pool->spawn(TaskInfo{}, scope, [state = state, executor, handle](const Scope& s) {
        try {
          if constexpr (std::is_void_v<R>) {
            if constexpr (std::is_invocable_v<Fn&, const Scope&>) {
              state->fn(s);
            } else {
              state->fn();
            }
            state->value.emplace(true);
          } else if constexpr (std::is_invocable_v<Fn&, const Scope&>) {
            state->value.emplace(state->fn(s));
          } else {
            state->value.emplace(state->fn());
          }
        } catch (...) {
          state->error = std::current_exception();
        }
        executor->post([handle] { handle.resume(); });
      });
    }
    R await_resume() {
      if (state->error) std::rethrow_exception(state->error);
      if constexpr (!std::is_void_v<R>) return std::move(*state->value);
    }
  };
  return Offload{&pool, scope, std::make_shared<State>(Fn(std::forward<F>(function)))};
}

}  // namespace sloe
