// Coroutine handlers: the handler's Task<> runs until its first suspension inside the chain;
// the request is finished when it completes, on the Context's worker thread.

#include <coroutine>
#include <exception>

#include "context/context_state.hpp"
#include "sloe/context/handler.hpp"

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

Detached drive(Context& c, Task<> task) {
  try {
    co_await std::move(task);
  } catch (...) {
    ContextAccess::answer_exception(c, std::current_exception(), "500 internal server error");
  }
  ContextAccess::complete_async(c);
}

}  // namespace

void run_coroutine_handler(Context& c, Task<> task) {
  ContextAccess::suspend(c);
  drive(c, std::move(task));
}

}  // namespace sloe::detail
