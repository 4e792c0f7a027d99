// What sloe::metrics() costs per request, and what its parts cost: the same /plaintext request
// through the engine bare, with an empty on_answered middleware (the hook mechanism alone) and
// with metrics(); then a counter, a histogram and a labelled lookup alone, contended by
// threads; then a scrape.
//
//   build-release/bench/metrics_bench [--benchmark_filter=...]
//
// allocs/req is heap allocations per request after warm-up (the goal: 0). On a shared, noisy
// machine the time per request varies more than metrics() costs; count instructions instead:
//
//   valgrind --tool=callgrind --callgrind-out-file=cg.out build-release/bench/metrics_bench \
//     --benchmark_filter='^BM_WithMetrics/plaintext$' --benchmark_min_time=0.05
//   callgrind_annotate --inclusive=yes --tree=calling cg.out | grep 'Session::process'
//
// and divide Session::process's inclusive count by its calls (the "(N x)" after it).

#include <benchmark/benchmark.h>

#include <sloe/sloe.hpp>

#include <string>

#include "../tests/support/alloc_counter.hpp"
#include "../tests/support/engine_pipe.hpp"

namespace {

constexpr std::string_view kPlaintext =
    "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n";
constexpr std::string_view kUser =
    "GET /user/12345 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n";

void add_routes(sloe::Engine& app) {
  app.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  app.get("/user/:id", [](sloe::Context& c) { c.string(200, c.param("id")); });
  // Enough other routes that the series table holds more than one.
  for (int i = 0; i < 50; ++i) {
    app.get("/other/" + std::to_string(i) + "/:id",
            [](sloe::Context& c) { c.status(c.param("id") == "1" ? 204 : 202); });
  }
}

void run_requests(benchmark::State& state, sloe::Engine& app, std::string_view request) {
  sloe::bench::EnginePipe pipe(app);
  pipe.send(request);  // warm the pools, buffers and series
  std::uint64_t before = sloe::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(pipe.send(request));
  state.counters["allocs/req"] =
      benchmark::Counter(static_cast<double>(sloe::bench::allocations() - before) /
                         static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

void BM_Bare(benchmark::State& state, std::string_view request) {
  sloe::Engine app;
  add_routes(app);
  run_requests(state, app, request);
}

// The floor any after-answer middleware pays: a hook that does nothing.
void BM_EmptyHookMiddleware(benchmark::State& state, std::string_view request) {
  sloe::Engine app;
  app.use([](sloe::Context& c) {
    c.on_answered([](sloe::Context&) {});
    c.next();
  });
  add_routes(app);
  run_requests(state, app, request);
}

void BM_WithMetrics(benchmark::State& state, std::string_view request) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options;
  options.registry = &registry;
  sloe::Engine app;
  app.use(sloe::metrics(options));
  add_routes(app);
  run_requests(state, app, request);
}

BENCHMARK_CAPTURE(BM_Bare, plaintext, kPlaintext);
BENCHMARK_CAPTURE(BM_EmptyHookMiddleware, plaintext, kPlaintext);
BENCHMARK_CAPTURE(BM_WithMetrics, plaintext, kPlaintext);
BENCHMARK_CAPTURE(BM_Bare, user_param, kUser);
BENCHMARK_CAPTURE(BM_WithMetrics, user_param, kUser);

// The metric operations alone; with ->Threads(n) every thread hits the same series, the worst
// case for the shared cache lines.
sloe::MetricsRegistry& shared_registry() {
  static sloe::MetricsRegistry registry;
  return registry;
}

void BM_CounterInc(benchmark::State& state) {
  sloe::Counter& counter = shared_registry().counter("bench_counter_total", "x").labels();
  for (auto _ : state) counter.inc();
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_GaugeIncDec(benchmark::State& state) {
  sloe::Gauge& gauge = shared_registry().gauge("bench_gauge", "x").labels();
  for (auto _ : state) {
    gauge.inc();
    gauge.dec();
  }
}
BENCHMARK(BM_GaugeIncDec)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  sloe::Histogram& histogram =
      shared_registry()
          .histogram("bench_latency_seconds", "x", {}, sloe::MetricsOptions{}.duration_buckets)
          .labels();
  double value = 0.0001;
  for (auto _ : state) {
    histogram.observe(value);
    value = value < 20 ? value * 1.7 : 0.0001;  // visit every bucket
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

// What metrics() avoids per request: the registry's own lookup by label values.
void BM_FamilyLabelsLookup(benchmark::State& state) {
  auto& family =
      shared_registry().counter("bench_lookup_total", "x", {"method", "route", "status"});
  for (auto _ : state) family.labels({"GET", "/user/:id", "200"}).inc();
}
BENCHMARK(BM_FamilyLabelsLookup);

// A scrape of the request families for 50 routes with 2 statuses each.
void BM_Scrape(benchmark::State& state) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options;
  options.registry = &registry;
  sloe::Engine app;
  app.use(sloe::metrics(options));
  add_routes(app);
  sloe::bench::EnginePipe pipe(app);
  for (int i = 0; i < 50; ++i) {
    pipe.send("GET /other/" + std::to_string(i) + "/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    pipe.send("GET /other/" + std::to_string(i) + "/2 HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  std::string text;
  for (auto _ : state) {
    text.clear();
    registry.write_text(text);
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_Scrape);

}  // namespace
