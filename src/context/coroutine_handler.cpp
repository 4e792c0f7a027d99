// Coroutine handlers: a handler's Task<> runs until its first suspension inside the chain; the
// request is finished when the last coroutine handler of its chain completes, on the
// Context's worker thread, or with a 503 at EngineOptions::request_timeout when they have not
// completed by then. A coroutine middleware's `co_await c.next()` resumes when the coroutines
// started inside that next() have finished (sloe::Next).

#include <spdlog/spdlog.h>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>

#include "context/context_state.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/errors.hpp"
#include "sloe/log_escape.hpp"

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

// A coroutine that outlived its request (answered 503 at its deadline) ended: what it threw
// is logged, since nobody can answer it any more.
void log_late_exception(const std::exception_ptr& error) {
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

// The innermost `co_await c.next()` whose coroutines have all finished goes on: the one that
// counted the most coroutines when it called next(). Last thing a driver does: the resumed
// coroutine may finish the request and the Context serve another.
void resume_due_waiter(ContextState& s) {
  auto due = s.chain_waiters.end();
  for (auto it = s.chain_waiters.begin(); it != s.chain_waiters.end(); ++it) {
    if (s.coroutines <= it->coroutines &&
        (due == s.chain_waiters.end() || it->coroutines > due->coroutines)) {
      due = it;
    }
  }
  if (due == s.chain_waiters.end()) return;
  std::coroutine_handle<> waiting = due->handle;
  s.chain_waiters.erase(due);
  waiting.resume();
}

// A second exception while the first is still unanswered: only the first makes the answer.
void log_second_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("sloe: a coroutine handler threw while an earlier exception was unanswered: {}",
                  log_escaped(e.what()));
  } catch (...) {
    spdlog::error("sloe: a coroutine handler threw while an earlier exception was unanswered");
  }
}

// `index` is the coroutine's place in the handler chain.
Detached drive(Context& c, std::uint64_t generation, ContextPool& pool, int index, Task<> task) {
  std::exception_ptr error;
  try {
    co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  ContextState& s = ContextAccess::state(c);
  if (!error && ContextAccess::generation(c) == generation && s.chain_paused && s.index == index) {
    // It finished without calling next(): the chain goes on, as after a plain handler that
    // returns. Still counted meanwhile, so a coroutine started there only joins.
    try {
      c.next();
    } catch (...) {
      error = std::current_exception();
    }
  }
  --s.coroutines;
  if (ContextAccess::generation(c) != generation) {
    // `c` was held out of the pool so that the coroutine's later uses of it threw instead of
    // reaching another request; the last coroutine gives it back.
    log_late_exception(error);
    if (s.coroutines == 0) pool.release_held(c);
    resume_due_waiter(s);  // its await_resume() throws ContextMisuse
    co_return;
  }
  if (error) {
    if (!s.chain_error) {
      s.chain_error = error;
    } else {
      log_second_exception(error);
    }
  }
  if (s.coroutines > 0) {
    resume_due_waiter(s);
    co_return;
  }
  // The last coroutine finished at or after the deadline (typically woken by its scope's
  // cancellation, which may run before the deadline's 503 does): it gets the 503, whichever
  // timer ran first, unless its answer is already streaming.
  const bool streaming = s.exchange->streaming();
  if (ContextAccess::past_deadline(c) && !streaming) {
    ContextAccess::answer_deadline_exceeded(c);
  } else if (s.chain_error) {
    c.abort_with_exception(std::exchange(s.chain_error, nullptr));
  }
  ContextAccess::complete_async(c);
}

}  // namespace

void run_coroutine_handler(Context& c, Task<> task) {
  ContextState& s = ContextAccess::state(c);
  // The first coroutine of a request makes it answered later; one started inside its next()
  // only joins the count.
  const bool first = s.coroutines == 0;
  if (first) ContextAccess::suspend(c);
  ++s.coroutines;
  const int index = s.index;
  const std::uint64_t generation = ContextAccess::generation(c);
  drive(c, generation, s.home->pool, index, std::move(task));
  // Suspended before calling next(): the rest of the chain waits for it.
  if (s.coroutines > 0 && s.index == index) s.chain_paused = true;
  if (!first || !s.pending || s.timeout.count() <= 0) return;
  // Suspended: the request gets its 503 at the deadline unless the coroutines complete first
  // or an answer has started streaming (then its scope's deadline is all it gets).
  auto left = s.start + s.timeout - std::chrono::steady_clock::now();
  s.exchange->executor()->post_after(left, [&c, generation] {
    if (ContextAccess::generation(c) != generation) return;
    const ContextState& late = ContextAccess::state(c);
    if (!late.pending || late.exchange->streaming()) return;
    ContextAccess::answer_deadline_exceeded(c);
    ContextAccess::complete_async(c);
  });
}

}  // namespace sloe::detail
