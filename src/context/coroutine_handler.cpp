// Coroutine handlers: the handler's Task<> runs until its first suspension inside the chain;
// the request is finished when it completes, on the Context's worker thread, or with a 503 at
// EngineOptions::request_timeout when it has not completed by then.

#include <spdlog/spdlog.h>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>

#include "context/context_state.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/errors.hpp"

namespace sloe::detail {

namespace {

// A coroutine nobody awaits: it drives a handler's Task<> to the end and finishes the request.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // drive() catches everything
  };
};

// The request ended with its 503 while the coroutine ran on; `c` was held out of the pool so
// that the coroutine's later uses of it threw instead of reaching another request.
void drop_late_answer(Context& c, ContextPool& pool, const std::exception_ptr& error) {
  pool.release_held(c);
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const ContextMisuse&) {
    // The expected way for a timed-out coroutine to notice: it touched `c` after its 503.
  } catch (const std::exception& e) {
    spdlog::warn("sloe: a coroutine handler threw after its request timed out: {}", e.what());
  } catch (...) {
    spdlog::warn("sloe: a coroutine handler threw after its request timed out");
  }
}

Detached drive(Context& c, std::uint64_t generation, ContextPool& pool, Task<> task) {
  std::exception_ptr error;
  try {
    co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  if (ContextAccess::generation(c) != generation) {
    drop_late_answer(c, pool, error);
    co_return;
  }
  ContextAccess::state(c).coroutine_running = false;
  // Finished at or after the deadline (typically woken by its scope's cancellation, which may
  // run before the deadline's 503 does): it gets the 503, whichever timer ran first, unless
  // its answer is already streaming.
  const bool streaming = ContextAccess::state(c).exchange->streaming();
  if (ContextAccess::past_deadline(c) && !streaming) {
    ContextAccess::answer_deadline_exceeded(c);
  } else if (error) {
    c.abort_with_exception(error);
  }
  ContextAccess::complete_async(c);
}

}  // namespace

void run_coroutine_handler(Context& c, Task<> task) {
  ContextAccess::suspend(c);
  ContextState& s = ContextAccess::state(c);
  s.coroutine_running = true;
  const std::uint64_t generation = ContextAccess::generation(c);
  drive(c, generation, s.home->pool, std::move(task));
  if (!s.pending || s.home->request_timeout.count() <= 0) return;
  // Suspended: the request gets its 503 at the deadline unless the coroutine completes first
  // or has started streaming (then its scope's deadline is all it gets).
  auto left = s.start + s.home->request_timeout - std::chrono::steady_clock::now();
  s.exchange->executor()->post_after(left, [&c, generation] {
    if (ContextAccess::generation(c) != generation) return;
    const ContextState& late = ContextAccess::state(c);
    if (!late.pending || late.exchange->streaming()) return;
    ContextAccess::answer_deadline_exceeded(c);
    ContextAccess::complete_async(c);
  });
}

}  // namespace sloe::detail
