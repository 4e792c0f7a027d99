// Heap allocations per request through the engine, after warm-up: a matched route makes none.
//
// This is its own executable (sloe_allocation_tests), not part of sloe_tests: it links
// tests/support/alloc_counter.cpp, which replaces the global operator new for the whole program.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <sloe/sloe.hpp>

#include "../support/alloc_counter.hpp"
#include "../support/engine_pipe.hpp"

namespace {

// A GET request for `target` as a load generator sends it.
std::string get(std::string_view target) {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n";
}

// Heap allocations per request for `request` (raw bytes, one or more requests), once the
// engine's pools and buffers are warm. Fails the test unless every answer is a 200.
double allocations_per_request(sloe::Engine& app, std::string_view request) {
  constexpr int kWarmUp = 3;
  constexpr int kCounted = 100;
  sloe::bench::EnginePipe pipe(app);
  for (int i = 0; i < kWarmUp; ++i) {
    const std::string answer = pipe.answer(request);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << request << "answered:\n" << answer;
  }
  const std::uint64_t before = sloe::bench::allocations();
  std::size_t written = 0;
  for (int i = 0; i < kCounted; ++i) written += pipe.send(request);
  const std::uint64_t allocations = sloe::bench::allocations() - before;
  EXPECT_GT(written, 0u);
  return static_cast<double>(allocations) / kCounted;
}

// The counter sees allocations in this build: were a sanitizer's runtime to bypass the replaced
// operator new, every 0 below would mean nothing.
TEST(RequestAllocations, CounterSeesAllocations) {
  const std::uint64_t before = sloe::bench::allocations();
  std::string* volatile text = new std::string(100, 'x');
  delete text;
  EXPECT_EQ(sloe::bench::allocations() - before, 2u);
}

TEST(RequestAllocations, StaticRoute) {
  sloe::Engine app;
  app.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  EXPECT_EQ(allocations_per_request(app, get("/plaintext")), 0);
}

TEST(RequestAllocations, ParamRoute) {
  sloe::Engine app;
  app.get("/user/:id", [](sloe::Context& c) { c.string(200, c.param("id")); });
  EXPECT_EQ(allocations_per_request(app, get("/user/12345")), 0);
}

TEST(RequestAllocations, JsonFieldsRoute) {
  sloe::Engine app;
  app.get("/json/:id", [](sloe::Context& c) {
    c.json(200, {{"message", "Hello, World!"}, {"id", c.param("id")}, {"n", 42}, {"ok", true}});
  });
  EXPECT_EQ(allocations_per_request(app, get("/json/7")), 0);
}

// sloe::metrics() in front of the route: once the route's and the status's series exist (the
// warm-up), recording a request finds them without allocating.
TEST(RequestAllocations, PlaintextWithMetrics) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options;
  options.registry = &registry;
  sloe::Engine app;
  app.use(sloe::metrics(options));
  app.get("/plaintext", [](sloe::Context& c) { c.string(200, "Hello, World!"); });
  EXPECT_EQ(allocations_per_request(app, get("/plaintext")), 0);
  EXPECT_NE(
      registry.text().find(
          "sloe_http_requests_total{method=\"GET\",route=\"/plaintext\",status=\"200\"} 103\n"),
      std::string::npos)
      << registry.text();
}

TEST(RequestAllocations, ParamRouteWithMetrics) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options;
  options.registry = &registry;
  sloe::Engine app;
  app.use(sloe::metrics(options));
  app.get("/user/:id", [](sloe::Context& c) { c.string(200, c.param("id")); });
  EXPECT_EQ(allocations_per_request(app, get("/user/12345")), 0);
}

// The access log formats into a per-thread buffer and hands the line to a buffered output
// whose two buffers keep their capacity: logging a request allocates nothing once warm.
TEST(RequestAllocations, ParamRouteWithTextAndJsonAccessLogs) {
  for (sloe::LogFormat format : {sloe::LogFormat::text, sloe::LogFormat::json}) {
    sloe::Engine app;
    app.use(sloe::logger({.format = format, .output = sloe::log_to_file("/dev/null")}));
    app.get("/user/:id", [](sloe::Context& c) { c.string(200, c.param("id")); });
    EXPECT_EQ(allocations_per_request(app, get("/user/12345?x=1")), 0);
  }
}

// Routes from Gin's githubapi_test.go, served beside each other, each asked for with concrete
// parameter values; the handler answers with the last parameter, so it reads what the router
// matched.
TEST(RequestAllocations, GithubApiRoutes) {
  struct Route {
    std::string_view method;
    std::string_view pattern;
    std::string_view target;
  };
  const Route routes[] = {
      {"GET", "/authorizations", "/authorizations"},
      {"GET", "/authorizations/:id", "/authorizations/12345"},
      {"DELETE", "/authorizations/:id", "/authorizations/12345"},
      {"GET", "/applications/:client_id/tokens/:access_token", "/applications/ab12/tokens/cd34"},
      {"GET", "/repos/:owner/:repo/events", "/repos/gin-gonic/gin/events"},
      {"PUT", "/repos/:owner/:repo/notifications", "/repos/gin-gonic/gin/notifications"},
      {"GET", "/notifications/threads/:id/subscription", "/notifications/threads/7/subscription"},
      {"GET", "/user/starred/:owner/:repo", "/user/starred/gin-gonic/gin"},
      {"GET", "/repos/:owner/:repo/git/blobs/:sha", "/repos/gin-gonic/gin/git/blobs/1a2b3c"},
      {"POST", "/repos/:owner/:repo/git/trees", "/repos/gin-gonic/gin/git/trees"},
      {"GET", "/repos/:owner/:repo/issues/:number/comments",
       "/repos/gin-gonic/gin/issues/42/comments"},
      {"DELETE", "/repos/:owner/:repo/issues/:number/labels/:name",
       "/repos/gin-gonic/gin/issues/42/labels/bug"},
      {"GET", "/gitignore/templates/:name", "/gitignore/templates/C"},
      {"GET", "/orgs/:org/public_members/:user", "/orgs/gin-gonic/public_members/manu"},
      {"PUT", "/teams/:id/repos/:owner/:repo", "/teams/9/repos/gin-gonic/gin"},
      {"GET", "/repos/:owner/:repo/pulls/:number/merge", "/repos/gin-gonic/gin/pulls/3/merge"},
      {"GET", "/repos/:owner/:repo/stats/punch_card", "/repos/gin-gonic/gin/stats/punch_card"},
      {"GET", "/legacy/issues/search/:owner/:repository/:state/:keyword",
       "/legacy/issues/search/gin-gonic/gin/open/router"},
      {"GET", "/search/repositories", "/search/repositories"},
      {"GET", "/users/:user", "/users/manu"},
      {"GET", "/user", "/user"},
      {"GET", "/users/:user/following/:target_user", "/users/manu/following/thinkerou"},
      {"DELETE", "/user/keys/:id", "/user/keys/12345"},
  };
  sloe::Engine app;
  for (const Route& r : routes) {
    app.handle(r.method, r.pattern, [](sloe::Context& c) {
      const auto params = c.params();
      c.string(200, params.empty() ? c.full_path() : params.back().value);
    });
  }
  for (const Route& r : routes) {
    SCOPED_TRACE(std::string(r.method) + " " + std::string(r.target));
    const std::string request = std::string(r.method) + " " + std::string(r.target) +
                                " HTTP/1.1\r\nHost: api.github.test\r\nContent-Length: 0\r\n\r\n";
    EXPECT_EQ(allocations_per_request(app, request), 0);
  }
}

// c.copy() of a request with 3 params, 10 headers and 5 keys, the shape of BM_Copy (which
// bench/copy_vs_gin.sh sets beside Gin's c.Copy()): one block holds the request's values, and
// the keys are shared, not copied.
TEST(RequestAllocations, CopyOfARequest) {
  sloe::Engine app;
  sloe::ContextCopy copy;
  std::uint64_t allocations = 0;
  app.get("/copy/:a/:b/:c", [&](sloe::Context& c) {
    for (int i = 0; i < 5; ++i) c.set("key" + std::to_string(i), std::string("value"));
    const std::uint64_t before = sloe::bench::allocations();
    copy = c.copy();
    allocations = sloe::bench::allocations() - before;
    c.status(204);
  });
  sloe::bench::EnginePipe pipe(app);
  const std::string answer = pipe.answer(
      "GET /copy/alpha/beta/gamma?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n"
      "Accept: */*\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\nCookie: a=b\r\n"
      "X-Request-ID: 0123456789abcdef\r\nX-One: 1\r\nX-Two: 2\r\nX-Three: 3\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 204 ")) << answer;
  EXPECT_LE(allocations, 2u);
  // What was counted is the whole copy.
  EXPECT_EQ(copy.params().size(), 3u);
  EXPECT_EQ(copy.param("c"), "gamma");
  EXPECT_EQ(copy.headers().size(), 10u);
  EXPECT_EQ(copy.header("x-three"), "3");
  ASSERT_NE(copy.get<std::string>("key4"), nullptr);
  EXPECT_EQ(*copy.get<std::string>("key4"), "value");
}

}  // namespace
