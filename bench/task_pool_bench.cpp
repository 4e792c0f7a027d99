// The background side of the async toolkit: how soon a spawned task starts, how many tasks per
// second the pool runs, and what a coroutine handler costs over a plain one.
//
//   build-release/bench/task_pool_bench

#include <benchmark/benchmark.h>

#include <sloe/async/task.hpp>
#include <sloe/async/task_pool.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

namespace {

// From spawn() on the caller's thread to the first line of the task on a pool thread.
void BM_SpawnToStart(benchmark::State& state) {
  sloe::TaskPool pool({.threads = 1, .queue_limit = 16});
  for (auto _ : state) {
    std::atomic<std::int64_t> started_at{0};
    auto spawned_at = std::chrono::steady_clock::now();
    pool.spawn(sloe::TaskInfo{},
               [&] { started_at = std::chrono::steady_clock::now().time_since_epoch().count(); });
    while (started_at.load() == 0) std::this_thread::yield();
    auto latency = std::chrono::nanoseconds(started_at.load()) - spawned_at.time_since_epoch();
    state.SetIterationTime(std::chrono::duration<double>(latency).count());
  }
}
BENCHMARK(BM_SpawnToStart)->UseManualTime();

// Tasks per second through a pool of `range(0)` threads, 10,000 small tasks per iteration.
void BM_SpawnThroughput(benchmark::State& state) {
  constexpr int kTasks = 10000;
  sloe::TaskPool pool({.threads = static_cast<std::size_t>(state.range(0)), .queue_limit = kTasks});
  for (auto _ : state) {
    std::latch done(kTasks);
    for (int i = 0; i < kTasks; ++i) pool.spawn(sloe::TaskInfo{}, [&done] { done.count_down(); });
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}
BENCHMARK(BM_SpawnThroughput)->Arg(1)->Arg(2)->UseRealTime();

// A request through the in-memory client with a plain handler, then with a coroutine handler
// that finishes without suspending and one that suspends once (a zero-length sleep on the
// worker's loop): the difference is what the coroutine machinery costs.
template <class Handler>
void run_handler(benchmark::State& state, Handler handler) {
  sloe::EngineOptions options;
  options.request_ids = false;
  sloe::Engine app(options);
  app.get("/h", std::move(handler));
  sloe::testing::Client client(app);
  for (auto _ : state) benchmark::DoNotOptimize(client.get("/h"));
  state.SetItemsProcessed(state.iterations());
}

void BM_PlainHandler(benchmark::State& state) {
  run_handler(state, [](sloe::Context& c) { c.string(200, "Hello, World!"); });
}
BENCHMARK(BM_PlainHandler);

void BM_CoroutineHandler(benchmark::State& state) {
  run_handler(state, [](sloe::Context& c) -> sloe::Task<> {
    c.string(200, "Hello, World!");
    co_return;
  });
}
BENCHMARK(BM_CoroutineHandler);

void BM_CoroutineHandlerSuspending(benchmark::State& state) {
  run_handler(state, [](sloe::Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), std::chrono::nanoseconds(0));
    c.string(200, "Hello, World!");
  });
}
BENCHMARK(BM_CoroutineHandlerSuspending);

}  // namespace
