// The request path without sockets: bytes → llhttp → router → Context → handler → serialized
// answer, through the same Session a TCP connection uses. Counts heap allocations per request
// (the goal is 0 in steady state) and measures c.copy() and the lifetime guard's cost.
//
//   build-release/bench/request_path_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <sloe/sloe.hpp>

#include "../tests/support/alloc_counter.hpp"
#include "../tests/support/engine_pipe.hpp"

namespace {

sloe::Engine& demo_app() {
  static sloe::Engine app = [] {
    sloe::Engine engine;
    engine.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
    engine.get("/json", [](sloe::Context& c) { c.json(200, {{"message", "Hello, World!"}}); });
    engine.get("/user/:id", [](sloe::Context& c) { c.string(200, c.param("id")); });
    return engine;
  }();
  return app;
}

void run_requests(benchmark::State& state, std::string_view request) {
  static sloe::bench::EnginePipe pipe(demo_app());
  pipe.send(request);  // warm the pools and buffers
  std::uint64_t before = sloe::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(pipe.send(request));
  state.counters["allocs/req"] =
      benchmark::Counter(static_cast<double>(sloe::bench::allocations() - before) /
                         static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

void BM_Plaintext(benchmark::State& state) {
  run_requests(state, "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n");
}
void BM_Json(benchmark::State& state) {
  run_requests(state, "GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n");
}
void BM_UserParam(benchmark::State& state) {
  run_requests(state,
               "GET /user/12345 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n");
}

// c.copy() of a request with 3 params, 10 headers and 5 keys: the benchmark loop runs inside
// the handler, so only the copy is timed.
void BM_Copy(benchmark::State& state) {
  sloe::Engine app;
  app.get("/copy/:a/:b/:c", [&state](sloe::Context& c) {
    for (int i = 0; i < 5; ++i) c.set("key" + std::to_string(i), std::string("value"));
    std::uint64_t before = sloe::bench::allocations();
    for (auto _ : state) benchmark::DoNotOptimize(c.copy());
    state.counters["allocs/copy"] =
        benchmark::Counter(static_cast<double>(sloe::bench::allocations() - before) /
                           static_cast<double>(state.iterations()));
    c.status(204);
  });
  sloe::bench::EnginePipe pipe(app);
  pipe.send(
      "GET /copy/alpha/beta/gamma?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n"
      "Accept: */*\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\nCookie: a=b\r\n"
      "X-Request-ID: 0123456789abcdef\r\nX-One: 1\r\nX-Two: 2\r\nX-Three: 3\r\n\r\n");
}

BENCHMARK(BM_Plaintext);
BENCHMARK(BM_Json);
BENCHMARK(BM_UserParam);
BENCHMARK(BM_Copy);

}  // namespace
