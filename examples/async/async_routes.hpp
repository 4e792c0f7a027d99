#pragma once
// The three async patterns of docs/async.md as routes: the seed scenario (fire-and-forget with
// a copy), a coroutine handler and a deferred answer. Shared by sloe-async and sloe-demo.

#include <sloe/async/task.hpp>
#include <sloe/sloe.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace demo {

using namespace std::chrono_literals;

inline void add_async_routes(sloe::Engine& app) {
  // Gin's c.Copy() example: answer 202 now, process in the background for ~2 s.
  app.get("/async/:id", [&app](sloe::Context& c) {
    app.spawn(c.copy(), [](sloe::ContextCopy& job) {
      std::mutex mutex;
      std::condition_variable_any wake;
      std::unique_lock lock(mutex);
      // Sleeps 2 s, or less when the server shuts down and cancels the job's scope.
      wake.wait_for(lock, job.scope().token(), 2s, [] { return false; });
      job.info("Async processing user: {}", job.param("id"));
    });
    c.json(202, {{"status", "processing"}});
  });

  // A coroutine handler: waits without blocking the worker, offloads work to the task pool,
  // and answers on the Context's own thread.
  app.get("/coro/:id", [&app](sloe::Context& c) -> sloe::Task<> {
    if (!co_await sloe::sleep_for(c.scope(), 100ms)) co_return;  // the request was cancelled
    std::string id(c.param("id"));
    auto count_digits = [id] { return std::to_string(std::hash<std::string>{}(id)).size(); };
    std::size_t digits = co_await sloe::offload(app.tasks(), c.scope(), count_digits);
    c.json(200, {{"id", id}, {"digits", digits}});
  });

  // A deferred answer: the handler returns at once, a background task answers later.
  app.get("/deferred/:id", [&app](sloe::Context& c) {
    app.spawn(c.copy(), [answer = c.defer()](sloe::ContextCopy& job) mutable {
      answer.json(200, {{"id", job.param("id")}, {"answered_by", "a background task"}});
    });
  });
}

}  // namespace demo
