// What the middleware of bench/run's logger and stack scenarios costs a GET /plaintext, without
// sockets: request_path_bench's path (bytes → llhttp → router → Context → handler → serialized
// answer) with recovery alone (sloe-demo --middleware none), with sloe::logger() in front
// (--middleware logger) and with the production stack (--middleware stack: logger, recovery,
// tracing without an exporter, metrics and an in-process rate limit that never refuses).
// Request ids are on, as in every mode of sloe-demo. The access log goes to /dev/null through
// the buffered output logger() writes stdout with (bench/run sends stdout there). Where the HTTP
// benchmark's CPU µs/req is noisy (a shared machine), this isolates the middleware's own cost;
// BM_PlaintextTracing, BM_PlaintextMetrics and BM_PlaintextRateLimit add one part of the stack
// each to the bare route, to tell which part costs what.
//
//   build-release/bench/middleware_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <sloe/sloe.hpp>

#include <memory>
#include <string_view>
#include <utility>

#include "../tests/support/alloc_counter.hpp"
#include "../tests/support/engine_pipe.hpp"

namespace {

constexpr std::string_view kRequest =
    "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n";

// The middleware in front of the route besides recovery(), as bits.
enum Parts : unsigned { kLogger = 1, kTracing = 2, kMetrics = 4, kRateLimit = 8 };
constexpr unsigned kStack = kLogger | kTracing | kMetrics | kRateLimit;

std::unique_ptr<sloe::Engine> make_app(unsigned parts) {
  auto app = std::make_unique<sloe::Engine>();
  if (parts & kLogger) app->use(sloe::logger({.output = sloe::log_to_file("/dev/null")}));
  app->use(sloe::recovery());
  if (parts & kTracing) app->use(sloe::tracing(sloe::TracingOptions{}));
  if (parts & kMetrics) app->use(sloe::metrics());
  if (parts & kRateLimit) {
    sloe::RateLimitOptions limit;
    limit.rate = 1e9;
    limit.burst = 1'000'000'000;
    app->use(sloe::rate_limit(std::move(limit)));
  }
  app->get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  return app;
}

void run(benchmark::State& state, unsigned parts) {
  auto app = make_app(parts);
  sloe::bench::EnginePipe pipe(*app);
  for (int i = 0; i < 100; ++i) pipe.send(kRequest);  // warm the pools, buffers and series
  std::uint64_t before = sloe::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(pipe.send(kRequest));
  state.counters["allocs/req"] =
      benchmark::Counter(static_cast<double>(sloe::bench::allocations() - before) /
                         static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

void BM_PlaintextBare(benchmark::State& state) {
  run(state, 0);
}
void BM_PlaintextLogger(benchmark::State& state) {
  run(state, kLogger);
}
void BM_PlaintextStack(benchmark::State& state) {
  run(state, kStack);
}
void BM_PlaintextTracing(benchmark::State& state) {
  run(state, kTracing);
}
void BM_PlaintextMetrics(benchmark::State& state) {
  run(state, kMetrics);
}
void BM_PlaintextRateLimit(benchmark::State& state) {
  run(state, kRateLimit);
}

}  // namespace

BENCHMARK(BM_PlaintextBare);
BENCHMARK(BM_PlaintextLogger);
BENCHMARK(BM_PlaintextStack);
BENCHMARK(BM_PlaintextTracing);
BENCHMARK(BM_PlaintextMetrics);
BENCHMARK(BM_PlaintextRateLimit);
