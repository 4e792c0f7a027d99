// The end of a request as middleware sees it: c.on_answered runs once with the final answer for
// plain, coroutine, deferred and streamed handlers alike, and an exception gets the same answer
// whichever kind of handler threw it.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

struct Seen {
  std::string route;
  int status = 0;
  std::size_t size = 0;
};

TEST(OnAnswered, RunsOnceWithTheFinalAnswerForEveryKindOfHandler) {
  sloe::Engine app;
  std::vector<Seen> seen;
  app.use([&](Context& c) {
    c.on_answered([&](Context& c) {
      seen.push_back({std::string(c.full_path()), c.response_status(), c.response_size()});
    });
    c.next();
  });
  app.get("/plain", [](Context& c) { c.string(201, "plain"); });
  app.get("/coroutine", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.string(202, "coroutine");
  });
  app.get("/deferred", [](Context& c) {
    std::thread([r = c.defer()]() mutable { r.string(203, "deferred"); }).detach();
  });
  app.get("/streamed", [](Context& c) {
    auto parts = std::make_shared<int>(0);
    c.status(206);
    c.stream([parts](Context& c) {
      c.write("12345");
      return ++*parts < 2;
    });
  });
  Client client(app);
  for (const char* path : {"/plain", "/coroutine", "/deferred", "/streamed"}) client.get(path);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].route, "/plain");
  EXPECT_EQ(seen[0].status, 201);
  EXPECT_EQ(seen[0].size, 5u);
  EXPECT_EQ(seen[1].status, 202);
  EXPECT_EQ(seen[1].size, 9u);
  EXPECT_EQ(seen[2].status, 203);
  EXPECT_EQ(seen[2].size, 8u);
  EXPECT_EQ(seen[3].route, "/streamed");
  EXPECT_EQ(seen[3].status, 206);
  EXPECT_EQ(seen[3].size, 10u);
}

TEST(OnAnswered, SeesTheDeadlineAnswerAndAHookThatThrowsIsContained) {
  sloe::EngineOptions options;
  options.request_timeout = 20ms;
  sloe::Engine app(options);
  int status = 0;
  app.use([&](Context& c) {
    c.on_answered([](Context&) { throw std::runtime_error("hook failed"); });
    c.on_answered([&](Context& c) { status = c.response_status(); });
    c.next();
  });
  std::optional<sloe::Responder> held;
  app.get("/late", [&](Context& c) { held = c.defer(); });
  Client client(app);
  EXPECT_EQ(client.get("/late").status, 503);
  EXPECT_EQ(status, 503);
}

TEST(ErrorAnswer, IsTheSameWhateverTheHandlerKindAndWhereverItThrew) {
  sloe::Engine app;
  app.get("/plain", [](Context& c) {
    c.header("X-Half", "1");
    throw std::runtime_error("plain");
  });
  app.get("/after-await", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.header("X-Half", "1");
    throw std::runtime_error("after await");
  });
  app.get("/dropped", [](Context& c) { (void)c.defer(); });
  auto recovered = app.group("/recovered", sloe::recovery());
  recovered.get("/plain", [](Context&) { throw std::runtime_error("recovered"); });
  recovered.get("/after-await", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    throw std::runtime_error("recovered after await");
  });
  Client client(app);
  for (const char* path :
       {"/plain", "/after-await", "/dropped", "/recovered/plain", "/recovered/after-await"}) {
    auto r = client.get(path, {{"X-Request-ID", "same-shape"}});
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8") << path;
    EXPECT_EQ(r.body, "internal server error") << path;
    EXPECT_EQ(r.header("X-Request-ID"), "same-shape") << path;
    EXPECT_EQ(r.header("X-Half"), "") << path << ": what the handler wrote is dropped";
  }
}

}  // namespace
