// sloe::metrics(), metrics_handler() and register_engine_metrics() as an application uses them:
// in process with testing::Client, and over real sockets.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <atomic>
#include <charconv>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../support/captured_log.hpp"
#include "../support/promtool.hpp"
#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

// The value of the sample line `series` (name and labels as exposed), or nullopt when the
// text has no such line.
std::optional<double> sample(const std::string& text, std::string_view series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// How many sample lines of `text` start with `prefix`.
std::size_t count_lines(const std::string& text, std::string_view prefix) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.starts_with(prefix) ? 1 : 0;
  return n;
}

// Even routes answer 200, odd ones 204: /r0 200, /r1 204, ...
int r_status(Context& c) {
  const std::string_view path = c.path();
  return (path.back() - '0') % 2 == 0 ? 200 : 204;
}

sloe::MetricsOptions options_for(sloe::MetricsRegistry& registry) {
  sloe::MetricsOptions options;
  options.registry = &registry;
  return options;
}

TEST(Metrics, CountsByRoutePatternNeverTheRawPath) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  app.use(sloe::metrics(options_for(registry)));
  app.get("/user/:id", [](Context& c) { c.string(200, c.param("id")); });
  app.get("/files/*path", [](Context& c) { c.string(200, c.param("path")); });
  Client client(app);
  for (int id = 0; id < 5; ++id) EXPECT_EQ(client.get("/user/" + std::to_string(id)).status, 200);
  client.get("/files/a/b/c.txt");
  client.get("/files/d.txt");
  const std::string text = registry.text();
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="GET",route="/user/:id",status="200"})"), 5);
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="GET",route="/files/*path",status="200"})"),
      2);
  EXPECT_EQ(text.find("/user/3"), std::string::npos) << text;
  EXPECT_EQ(text.find("c.txt"), std::string::npos) << text;
  EXPECT_EQ(count_lines(text, "sloe_http_requests_total{"), 2u) << text;
}

// A scanner's random paths and made-up methods add no series: 404s and 405s share the
// unmatched route label, and methods outside RFC 9110 become "OTHER".
TEST(Metrics, UnmatchedRequestsShareFixedLabels) {
  sloe::MetricsRegistry registry;
  sloe::EngineOptions engine_options;
  engine_options.handle_method_not_allowed = true;
  sloe::Engine app(engine_options);
  app.use(sloe::metrics(options_for(registry)));
  app.get("/items", [](Context& c) { c.string(200, "items"); });
  Client client(app);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(client.get("/wp-admin/" + std::to_string(i) + ".php").status, 404);
  }
  EXPECT_EQ(client.request("BREW", "/pot-1").status, 404);
  EXPECT_EQ(client.request("BREWX", "/pot-2").status, 404);
  EXPECT_EQ(client.post("/items", "{}").status, 405);
  const std::string text = registry.text();
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="GET",route="<unmatched>",status="404"})"),
      20);
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="OTHER",route="<unmatched>",status="404"})"),
      2);
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="POST",route="<unmatched>",status="405"})"),
      1);
  EXPECT_EQ(count_lines(text, "sloe_http_requests_total{"), 3u) << text;
  EXPECT_EQ(text.find("wp-admin"), std::string::npos) << text;
  EXPECT_EQ(text.find("BREW"), std::string::npos) << text;
}

TEST(Metrics, UnmatchedRouteLabelIsConfigurable) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options = options_for(registry);
  options.unmatched_route = "";
  sloe::Engine app;
  app.use(sloe::metrics(options));
  Client client(app);
  client.get("/nothing-here");
  EXPECT_EQ(
      sample(registry.text(), R"(sloe_http_requests_total{method="GET",route="",status="404"})"),
      1);
}

TEST(Metrics, EveryStatusHasItsSeries) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  app.use(sloe::recovery(), sloe::metrics(options_for(registry)));
  app.get("/status/:code", [](Context& c) {
    int code = 0;
    std::string_view text = c.param("code");
    std::from_chars(text.data(), text.data() + text.size(), code);
    c.status(code);
  });
  app.get("/throws", [](Context&) -> void { throw std::runtime_error("boom"); });
  app.get("/bad", [](Context&) -> void { throw sloe::BadRequest("no"); });
  sloe::test::CapturedLog log;  // the 500's error line stays out of the test output
  Client client(app);
  for (std::string_view code : {"200", "201", "201", "404", "503"}) {
    client.get("/status/" + std::string(code));
  }
  EXPECT_EQ(client.get("/throws").status, 500);
  EXPECT_EQ(client.get("/bad").status, 400);
  const std::string text = registry.text();
  const auto requests = [&](std::string_view route, std::string_view status) {
    return sample(text, "sloe_http_requests_total{method=\"GET\",route=\"" + std::string(route) +
                            "\",status=\"" + std::string(status) + "\"}");
  };
  EXPECT_EQ(requests("/status/:code", "200"), 1);
  EXPECT_EQ(requests("/status/:code", "201"), 2);
  EXPECT_EQ(requests("/status/:code", "404"), 1) << "a route's own 404 keeps its route";
  EXPECT_EQ(requests("/status/:code", "503"), 1);
  EXPECT_EQ(requests("/throws", "500"), 1);
  EXPECT_EQ(requests("/bad", "400"), 1);
  // One latency series per route, counting all its statuses.
  EXPECT_EQ(
      sample(text,
             R"(sloe_http_request_duration_seconds_count{method="GET",route="/status/:code"})"),
      5);
}

TEST(Metrics, BodyBytesEachWay) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  app.use(sloe::metrics(options_for(registry)));
  app.post("/echo", [](Context& c) { c.data(200, "application/octet-stream", c.body()); });
  app.get("/hello", [](Context& c) { c.string(200, "hello"); });
  Client client(app);
  client.post("/echo", "0123456789", "text/plain");
  client.post("/echo", "abc", "text/plain");
  // A chunked body counts as the handler reads it: decoded.
  client.raw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n");
  client.get("/hello");
  EXPECT_EQ(client.head("/hello").status, 200);
  const std::string text = registry.text();
  EXPECT_EQ(sample(text, R"(sloe_http_request_body_bytes_total{method="POST",route="/echo"})"), 22);
  EXPECT_EQ(sample(text, R"(sloe_http_response_body_bytes_total{method="POST",route="/echo"})"),
            22);
  EXPECT_EQ(sample(text, R"(sloe_http_response_body_bytes_total{method="GET",route="/hello"})"), 5);
  EXPECT_EQ(sample(text, R"(sloe_http_response_body_bytes_total{method="HEAD",route="/hello"})"), 0)
      << "a HEAD answer sends no body";
  EXPECT_EQ(sample(text, R"(sloe_http_request_body_bytes_total{method="GET",route="/hello"})"), 0);
}

TEST(Metrics, InFlightCountsRequestsUntilTheirAnswerIsFinal) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  app.use(sloe::metrics(options_for(registry)));
  std::optional<double> seen_inside;
  app.get("/inside", [&](Context& c) {
    seen_inside = sample(registry.text(), "sloe_http_requests_in_flight");
    c.string(200, "ok");
  });
  Client client(app);
  client.get("/inside");
  EXPECT_EQ(seen_inside, 1);
  EXPECT_EQ(sample(registry.text(), "sloe_http_requests_in_flight"), 0);
}

// Deferred, coroutine and streamed answers are recorded when they are final, with the status
// and size they were sent with.
TEST(Metrics, AnswersGivenLaterAreRecordedWhenFinal) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  app.use(sloe::metrics(options_for(registry)));
  app.get("/deferred", [](Context& c) {
    std::thread([r = c.defer()]() mutable { r.string(202, "accepted"); }).detach();
  });
  app.get("/coroutine", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.string(201, "made");
  });
  app.get("/stream", [](Context& c) {
    auto parts = std::make_shared<int>(0);
    c.stream([parts](Context& c) {
      c.write("part\n");
      return ++*parts < 3;
    });
  });
  Client client(app);
  EXPECT_EQ(client.get("/deferred").status, 202);
  EXPECT_EQ(client.get("/coroutine").status, 201);
  EXPECT_EQ(client.get("/stream").body, "part\npart\npart\n");
  const std::string text = registry.text();
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="GET",route="/deferred",status="202"})"), 1);
  EXPECT_EQ(sample(text, R"(sloe_http_response_body_bytes_total{method="GET",route="/deferred"})"),
            8);
  EXPECT_EQ(
      sample(text, R"(sloe_http_requests_total{method="GET",route="/coroutine",status="201"})"), 1);
  EXPECT_EQ(sample(text, R"(sloe_http_requests_total{method="GET",route="/stream",status="200"})"),
            1);
  EXPECT_EQ(sample(text, R"(sloe_http_response_body_bytes_total{method="GET",route="/stream"})"),
            15);
  EXPECT_EQ(sample(text, "sloe_http_requests_in_flight"), 0);
}

TEST(Metrics, LatencyHistogramUsesTheConfiguredBuckets) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options = options_for(registry);
  options.duration_buckets = {0.001, 60};
  sloe::Engine app;
  app.use(sloe::metrics(options));
  app.get("/slow", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 5ms);
    c.string(200, "late");
  });
  Client client(app);
  client.get("/slow");
  client.get("/slow");
  const std::string text = registry.text();
  const std::string series = R"({method="GET",route="/slow")";
  EXPECT_EQ(sample(text, "sloe_http_request_duration_seconds_bucket" + series + R"(,le="0.001"})"),
            0)
      << "each request waited 5 ms\n"
      << text;
  EXPECT_EQ(sample(text, "sloe_http_request_duration_seconds_bucket" + series + R"(,le="60"})"), 2);
  EXPECT_EQ(sample(text, "sloe_http_request_duration_seconds_bucket" + series + R"(,le="+Inf"})"),
            2);
  EXPECT_EQ(sample(text, "sloe_http_request_duration_seconds_count" + series + "}"), 2);
  EXPECT_GE(sample(text, "sloe_http_request_duration_seconds_sum" + series + "}").value_or(0),
            0.010);
}

TEST(MetricsHandler, ServesTheRegistryInPrometheusTextFormat) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  app.use(sloe::metrics(options_for(registry)));
  sloe::register_engine_metrics(app, registry);
  auto& orders =
      registry.counter("shop_orders_total", "Orders placed, by \"payment\" kind.", {"payment"});
  orders.labels({"card"}).add(3);
  orders.labels({"in\\voice \"net 30\"\nline two"}).inc();
  registry.histogram("shop_basket_value_euros", "Basket values.", {}, {10, 100})
      .labels()
      .observe(42);
  app.get("/metrics", sloe::metrics_handler(registry));
  app.get("/user/:id", [](Context& c) { c.string(200, "user"); });
  Client client(app);
  client.get("/user/1");
  client.get("/nope");
  client.request("PURGE", "/user/1");
  auto r = client.get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(sample(r.body, R"(shop_orders_total{payment="card"})"), 3);
  EXPECT_EQ(sample(r.body, R"(shop_orders_total{payment="in\\voice \"net 30\"\nline two"})"), 1)
      << r.body;
  EXPECT_EQ(sample(r.body, "sloe_http_connections_open"), 0) << "a testing::Client has no socket";
  EXPECT_EQ(sample(r.body, "sloe_tasks_queued"), 0);
  EXPECT_EQ(sample(r.body, "sloe_http_requests_in_flight"), 1) << "the scrape itself";
  // Every family has HELP and TYPE.
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    EXPECT_NE(r.body.find("# HELP " + name + " "), std::string::npos) << name;
  }
  sloe::test::expect_promtool_accepts(r.body);
  auto head = client.head("/metrics");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST(MetricsHandler, TimeoutsAndDroppedSpansReachTheScrape) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  sloe::register_engine_metrics(app, registry);
  app.get("/slow", sloe::timeout(1ms), [](Context& c) {
    std::this_thread::sleep_for(5ms);  // returns after its deadline: answered 503
    c.string(200, "late");
  });
  app.get("/metrics", sloe::metrics_handler(registry));
  Client client(app);
  const double before = sample(client.get("/metrics").body, "sloe_http_timeouts_total").value();
  EXPECT_EQ(client.get("/slow").status, 503);
  auto r = client.get("/metrics");
  EXPECT_EQ(sample(r.body, "sloe_http_timeouts_total"), before + 1);
  EXPECT_EQ(sample(r.body, "sloe_trace_spans_dropped_total"),
            static_cast<double>(sloe::dropped_spans_total()));
  sloe::test::expect_promtool_accepts(r.body);
}

TEST(MetricsHandler, PromtoolRefusesBrokenText) {
  // The check the other tests rely on does fail on broken exposition text.
  const sloe::test::PromtoolResult result =
      sloe::test::run_promtool_check_metrics("# TYPE x counter\nx{a=\"unterminated} 1\n");
  ASSERT_TRUE(result.ran) << result.output;
  EXPECT_NE(result.exit_code, 0) << result.output;
}

TEST(Metrics, TwoMiddlewaresShareOneRegistrysFamilies) {
  sloe::MetricsRegistry registry;
  sloe::Engine app;
  auto api = app.group("/api");
  api.use(sloe::metrics(options_for(registry)));
  api.get("/a", [](Context& c) { c.string(200, "a"); });
  auto admin = app.group("/admin");
  admin.use(sloe::metrics(options_for(registry)));
  admin.get("/b", [](Context& c) { c.string(200, "b"); });
  Client client(app);
  client.get("/api/a");
  client.get("/admin/b");
  const std::string text = registry.text();
  EXPECT_EQ(sample(text, R"(sloe_http_requests_total{method="GET",route="/api/a",status="200"})"),
            1);
  EXPECT_EQ(sample(text, R"(sloe_http_requests_total{method="GET",route="/admin/b",status="200"})"),
            1);
  sloe::MetricsRegistry other;
  sloe::MetricsOptions clashing = options_for(other);
  other.counter("sloe_http_requests_total", "Something else.");
  EXPECT_THROW(sloe::metrics(clashing), std::invalid_argument)
      << "a registry whose names mean something else is refused at setup, not per request";
}

// Over real sockets, with two workers: the connection gauge sums them, concurrent clients are
// all counted, and the task pool's counters reach the scrape.
TEST(MetricsOverSockets, ConnectionsRequestsAndTasks) {
  sloe::test::CapturedLog log;  // the failing task's error line, from the pool's thread
  sloe::MetricsRegistry registry;
  sloe::EngineOptions engine_options;
  engine_options.threads = 2;
  engine_options.task_threads = 1;
  sloe::Engine app(engine_options);
  app.use(sloe::metrics(options_for(registry)));
  sloe::register_engine_metrics(app, registry);
  app.get("/metrics", sloe::metrics_handler(registry));
  app.get("/work/:n", [](Context& c) { c.string(200, c.param("n")); });
  app.get("/spawn", [&app](Context& c) {
    app.spawn(c.copy(), [](sloe::ContextCopy&) { throw std::runtime_error("task failed"); });
    c.string(202, "queued");
  });
  app.start("127.0.0.1:0");

  constexpr int kClients = 4;
  constexpr int kRequests = 50;
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      sloe::test::RawSocket socket(app.port());
      for (int i = 0; i < kRequests; ++i) {
        socket.send("GET /work/" + std::to_string(t * 1000 + i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
        auto responses = socket.read_responses(1);
        if (responses.size() == 1 && responses[0].status == 200) answered.fetch_add(1);
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(answered.load(), kClients * kRequests);

  sloe::test::RawSocket first(app.port());
  first.send("GET /work/1 HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(first.read_responses(1).size(), 1u);  // accepted and served: it is open
  sloe::test::RawSocket scraper(app.port());
  scraper.send("GET /spawn HTTP/1.1\r\nHost: t\r\n\r\nGET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  auto responses = scraper.read_responses(2);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].status, 202);
  const sloe::test::RawResponse& scrape = responses[1];
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_GE(sample(scrape.body, "sloe_http_connections_open"), 2) << scrape.body;
  EXPECT_EQ(sample(scrape.body,
                   R"(sloe_http_requests_total{method="GET",route="/work/:n",status="200"})"),
            kClients * kRequests + 1);
  EXPECT_EQ(sample(scrape.body,
                   R"(sloe_http_request_duration_seconds_count{method="GET",route="/work/:n"})"),
            kClients * kRequests + 1);
  EXPECT_EQ(sample(scrape.body, "sloe_tasks_spawned_total"), 1);
  sloe::test::expect_promtool_accepts(scrape.body);

  // After shutdown the pool has drained: the failed task is counted, and no connection is open.
  app.shutdown(2s);
  const std::string text = registry.text();
  EXPECT_EQ(sample(text, "sloe_tasks_failed_total"), 1) << text;
  EXPECT_EQ(sample(text, "sloe_tasks_finished_total"), 1) << text;
  EXPECT_EQ(sample(text, "sloe_tasks_running"), 0) << text;
  EXPECT_EQ(sample(text, "sloe_http_connections_open"), 0) << text;
  EXPECT_EQ(sample(text, "sloe_http_requests_in_flight"), 0) << text;
}

// Worker threads meeting many routes for the first time at once: series are made and the
// route table grows while other requests look theirs up. Every request is counted once, in
// its own route's series.
TEST(MetricsOverSockets, ManyNewRoutesAtOnce) {
  sloe::MetricsRegistry registry;
  sloe::EngineOptions engine_options;
  engine_options.threads = 2;
  sloe::Engine app(engine_options);
  app.use(sloe::metrics(options_for(registry)));
  constexpr int kRoutes = 150;  // several times the table's first size
  for (int r = 0; r < kRoutes; ++r) {
    app.get("/r" + std::to_string(r), [](Context& c) { c.status(r_status(c)); });
  }
  app.start("127.0.0.1:0");
  constexpr int kClients = 4;
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      sloe::test::RawSocket socket(app.port());
      // Each client walks the routes from another starting point, pipelining 10 at a time.
      for (int batch = 0; batch < kRoutes; batch += 10) {
        std::string requests;
        for (int i = batch; i < batch + 10; ++i) {
          requests +=
              "GET /r" + std::to_string((i + t * 37) % kRoutes) + " HTTP/1.1\r\nHost: t\r\n\r\n";
        }
        socket.send(requests);
        EXPECT_EQ(socket.read_responses(10).size(), 10u);
      }
    });
  }
  for (std::thread& client : clients) client.join();
  app.shutdown(1s);
  const std::string text = registry.text();
  for (int r = 0; r < kRoutes; ++r) {
    const std::string route = "/r" + std::to_string(r);
    EXPECT_EQ(sample(text, R"(sloe_http_requests_total{method="GET",route=")" + route +
                               R"(",status=")" + (r % 2 == 0 ? "200" : "204") + "\"}"),
              kClients)
        << route;
  }
  EXPECT_EQ(count_lines(text, "sloe_http_requests_total{"), static_cast<std::size_t>(kRoutes));
}

// The engine accessors the metrics read, on their own.
TEST(EngineStats, OpenConnectionsAndTaskStatsBeforeAndAfterStart) {
  sloe::Engine app;
  EXPECT_EQ(app.open_connections(), 0u) << "not started";
  EXPECT_EQ(app.task_stats().spawned, 0u) << "reading the stats does not start the pool";
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  socket.send("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(socket.read_responses(1).size(), 1u);
  EXPECT_EQ(app.open_connections(), 1u);
  app.shutdown(1s);
  EXPECT_EQ(app.open_connections(), 0u);
}

}  // namespace
