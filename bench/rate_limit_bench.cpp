// What sloe::rate_limit() costs: the in-process store's take() for a known key (the goal is no
// allocation), for a new key each time (the key-rotation attack, at the memory cap), from
// several threads at once, and a whole request through the middleware against one without it.
//
//   cmake -B build-bench -DSLOE_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release && \
//     ninja -C build-bench rate_limit_bench && build-bench/bench/rate_limit_bench

#include <benchmark/benchmark.h>

#include <sloe/sloe.hpp>

#include <string>

#include "../tests/support/alloc_counter.hpp"
#include "../tests/support/engine_pipe.hpp"

namespace {

using std::chrono::steady_clock;

void count_allocations(benchmark::State& state, std::uint64_t before) {
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(sloe::bench::allocations() - before) /
                         static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

const sloe::RateLimitQuota kQuota{.rate = 1e6, .burst = 1'000'000};

void BM_TakeKnownKey(benchmark::State& state) {
  static sloe::MemoryRateLimitStore store;
  std::string key = "198.51.100." + std::to_string(state.thread_index());
  (void)store.take(key, kQuota, steady_clock::now());
  std::uint64_t before = sloe::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(store.take(key, kQuota, steady_clock::now()));
  count_allocations(state, before);
}
BENCHMARK(BM_TakeKnownKey)->Threads(1)->Threads(4);

// Every take is a new key, with the store at its cap: each one evicts a sampled bucket.
void BM_TakeRotatingKeys(benchmark::State& state) {
  sloe::MemoryRateLimitStore store(10'000);
  std::uint64_t n = 0;
  std::string key;
  std::uint64_t before = sloe::bench::allocations();
  for (auto _ : state) {
    key = "rotating-" + std::to_string(++n);
    benchmark::DoNotOptimize(store.take(key, kQuota, steady_clock::now()));
  }
  count_allocations(state, before);
  state.counters["buckets"] = static_cast<double>(store.size());
}
BENCHMARK(BM_TakeRotatingKeys);

void run_requests(benchmark::State& state, sloe::Engine& app) {
  sloe::bench::EnginePipe pipe(app);
  std::string_view request = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
  pipe.send(request);  // warm the pools and the bucket
  std::uint64_t before = sloe::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(pipe.send(request));
  count_allocations(state, before);
}

void BM_RequestWithoutLimit(benchmark::State& state) {
  sloe::Engine app;
  app.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  run_requests(state, app);
}
BENCHMARK(BM_RequestWithoutLimit);

void BM_RequestWithLimit(benchmark::State& state) {
  sloe::Engine app;
  app.use(sloe::rate_limit({.rate = 1e9, .burst = 1'000'000}));
  app.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  run_requests(state, app);
}
BENCHMARK(BM_RequestWithLimit);

}  // namespace
