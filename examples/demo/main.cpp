// The demo server: the routes the README tours and the benchmarks load.
//
//   sloe-demo [--listen HOST:PORT] [--threads N] [--static DIR]
//             [--middleware none|logger|stack] [--quiet]
//
// --middleware stack is what a production service puts in front of its routes: the access log,
// recovery, a request id (EngineOptions::request_ids, on in every mode), a span per request,
// Prometheus metrics (served at GET /metrics) and a per-client rate limit with the in-process
// store. bench/run's logger and stack scenarios load it against Gin's twin (bench/gin/main.go);
// there the limit is high enough never to refuse and spans are not exported (no collector).

#include <sloe/sloe.hpp>

#include "../async/async_routes.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace {

struct Flags {
  std::string listen = "127.0.0.1:8080";
  std::size_t threads = 0;
  std::string static_root = "docs";   // the repository's docs/ when started from its root
  std::string middleware = "logger";  // none, logger or stack
};

void usage(std::FILE* out) {
  std::fputs(
      "usage: sloe-demo [--listen HOST:PORT] [--threads N] [--static DIR]\n"
      "                 [--middleware none|logger|stack] [--quiet]\n"
      "  --listen HOST:PORT  address to serve on (default 127.0.0.1:8080; port 0 picks one)\n"
      "  --threads N         worker threads (default: one per core)\n"
      "  --static DIR        serve GET /static/*filepath from DIR (default: docs)\n"
      "  --middleware M      in front of every route, besides recovery and request ids:\n"
      "                      none, logger (the access log: the default) or stack (access\n"
      "                      log, a span per request, metrics at GET /metrics and a\n"
      "                      per-client rate limit of 10^9 requests/s, never refusing)\n"
      "  --quiet             --middleware none: no access log (for benchmarks)\n"
      "  --help              this text\n",
      out);
}

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sloe-demo: %.*s needs a value\n", static_cast<int>(name.size()),
                     name.data());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    } else if (arg == "--listen") {
      flags.listen = value(arg);
    } else if (arg == "--threads") {
      flags.threads = std::strtoul(value(arg).c_str(), nullptr, 10);
    } else if (arg == "--static") {
      flags.static_root = value(arg);
    } else if (arg == "--middleware") {
      flags.middleware = value(arg);
      if (flags.middleware != "none" && flags.middleware != "logger" &&
          flags.middleware != "stack") {
        std::fprintf(stderr, "sloe-demo: --middleware %s: want none, logger or stack\n",
                     flags.middleware.c_str());
        std::exit(2);
      }
    } else if (arg == "--quiet") {
      flags.middleware = "none";
    } else {
      std::fprintf(stderr, "sloe-demo: unknown option %s\n", argv[i]);
      usage(stderr);
      std::exit(2);
    }
  }
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = parse_flags(argc, argv);
  sloe::EngineOptions options;
  options.threads = flags.threads;
  sloe::Engine app(options);
  if (flags.middleware != "none") app.use(sloe::logger());
  app.use(sloe::recovery());
  if (flags.middleware == "stack") {
    sloe::TracingOptions tracing;  // no endpoint: every span is made and recorded, then dropped
    tracing.service_name = "sloe-demo";
    sloe::RateLimitOptions limit;  // per client address, in-process; high enough never to refuse
    limit.rate = 1e9;
    limit.burst = 1'000'000'000;
    app.use(sloe::tracing(std::move(tracing)), sloe::metrics(), sloe::rate_limit(std::move(limit)));
    sloe::register_engine_metrics(app);
    app.get("/metrics", sloe::metrics_handler());
  }

  app.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  // The same answer from a coroutine handler: what the coroutine machinery costs under load.
  app.get("/plaintext/coro", [](sloe::Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), std::chrono::nanoseconds(0));
    c.string(200, "Hello, World!");
  });
  app.get("/json", [](sloe::Context& c) { c.json(200, {{"message", "Hello, World!"}}); });
  app.get("/ping", [](sloe::Context& c) { c.json(200, {{"message", "pong"}}); });
  app.get("/user/:id", [](sloe::Context& c) { c.string(200, c.param("id")); });
  app.post("/echo", [](sloe::Context& c) {
    std::string_view type = c.header("Content-Type");
    c.data(200, type.empty() ? "application/octet-stream" : type, c.body());
  });

  auto v1 = app.group("/v1");
  v1.get("/hello",
         [](sloe::Context& c) { c.string(200, "hello {}", c.default_query("name", "world")); });
  v1.post("/items", [](sloe::Context& c) { c.status(201); });

  demo::add_async_routes(app);                   // /async/:id, /coro/:id, /deferred/:id
  app.static_dir("/static", flags.static_root);  // nothing outside it is ever served

  // Answers written over time: 5 chunks 100 ms apart, then 10 Server-Sent Events 100 ms apart.
  // A client that leaves ends either one early (flush() returns false, the scope is cancelled).
  app.get("/stream", [](sloe::Context& c) -> sloe::Task<> {
    for (int n = 1; n <= 5; ++n) {
      c.write(fmt::format("chunk {}\n", n));
      if (!co_await c.flush()) co_return;
      if (n < 5 && !co_await sloe::sleep_for(c.scope(), std::chrono::milliseconds(100))) co_return;
    }
  });
  app.get("/events", [](sloe::Context& c) -> sloe::Task<> {
    for (int n = 1; n <= 10; ++n) {
      if (!co_await c.sse_event("tick", std::to_string(n))) co_return;
      if (n < 10 && !co_await sloe::sleep_for(c.scope(), std::chrono::milliseconds(100))) {
        co_return;
      }
    }
  });

  try {
    app.run(flags.listen);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sloe-demo: %s\n", e.what());
    return 1;
  }
}
