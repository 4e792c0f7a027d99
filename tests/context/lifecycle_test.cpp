// The end of a request as middleware sees it: c.on_answered runs once with the final answer for
// plain, coroutine, deferred and streamed handlers alike, an exception gets the same answer
// whichever kind of handler threw it, and coroutine middleware that awaits c.next() works
// after the whole chain and catches what a coroutine handler threw after its first co_await.

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

// ---- coroutine middleware: co_await c.next() ------------------------------------------------

struct UpstreamDown : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST(CoroutineMiddleware, CatchesWhatTheHandlerThrewAfterItsFirstAwait) {
  sloe::Engine app;
  app.use([](Context& c) -> sloe::Task<> {
    try {
      co_await c.next();
      c.header("X-Status-Seen", std::to_string(c.response_status()));
    } catch (const UpstreamDown& e) {
      c.string(502, "caught: {}", e.what());
    }
  });
  app.get("/down", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    throw UpstreamDown("orders");
  });
  app.get("/up", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.string(201, "made");
  });
  app.get("/plain", [](Context& c) { c.string(202, "plain"); });
  Client client(app);
  auto down = client.get("/down");
  EXPECT_EQ(down.status, 502);
  EXPECT_EQ(down.body, "caught: orders");
  auto up = client.get("/up");
  EXPECT_EQ(up.status, 201);
  EXPECT_EQ(up.body, "made");
  EXPECT_EQ(up.header("X-Status-Seen"), "201") << "the code after co_await ran after the handler";
  auto plain = client.get("/plain");
  EXPECT_EQ(plain.status, 202);
  EXPECT_EQ(plain.header("X-Status-Seen"), "202");
}

TEST(CoroutineMiddleware, WhatItDoesNotCatchIsTheUniform500) {
  sloe::Engine app;
  app.use([](Context& c) -> sloe::Task<> {
    co_await c.next();
    c.header("X-Never", "1");
  });
  app.get("/down", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    throw UpstreamDown("orders");
  });
  Client client(app);
  auto r = client.get("/down");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "internal server error");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("X-Never"), "");
}

TEST(CoroutineMiddleware, NestedOnesResumeInnermostFirst) {
  sloe::Engine app;
  std::vector<std::string> order;
  auto around = [&order](std::string name) {
    return [&order, name](Context& c) -> sloe::Task<> {
      order.push_back(name + " before");
      co_await c.next();
      order.push_back(name + " after");
    };
  };
  app.use(around("outer"));
  app.use([&order](Context& c) {
    order.push_back("plain before");
    c.next();
    order.push_back("plain after");  // a plain middleware cannot wait: it goes on at once
  });
  app.use(around("inner"));
  app.get("/", [&order](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    order.push_back("handler");
    c.string(200, "ok");
  });
  Client client(app);
  EXPECT_EQ(client.get("/").body, "ok");
  const std::vector<std::string> expected{"outer before", "plain before", "inner before",
                                          "plain after",  "handler",      "inner after",
                                          "outer after"};
  EXPECT_EQ(order, expected);
}

TEST(CoroutineMiddleware, TheChainWaitsForOneThatSuspendsBeforeItsNext) {
  // An asynchronous check before the rest of the chain, as an auth middleware that asks a
  // token service: the handler runs after it, not at its first suspension.
  sloe::Engine app;
  std::vector<std::string> order;
  app.use([&order](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    if (c.query("token") != "good") {
      c.abort_with_status_json(401, {{"error", "bad token"}});
      co_return;
    }
    c.set("user", std::string("ada"));
    order.push_back("checked");
    co_await c.next();
  });
  app.get("/me", [&order](Context& c) {
    order.push_back("handler");
    c.string(200, *c.get<std::string>("user"));
  });
  Client client(app);
  auto good = client.get("/me?token=good");
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(good.body, "ada");
  EXPECT_EQ(order, (std::vector<std::string>{"checked", "handler"}));
  EXPECT_EQ(client.get("/me?token=bad").status, 401);
  EXPECT_EQ(order.size(), 2u) << "an aborted chain runs no further handler";
}

TEST(CoroutineMiddleware, OneThatNeverCallsNextIsFollowedByTheChainWhenItEnds) {
  // Gin runs the next handler once one returns without c.Next(); a coroutine returns when it
  // ends.
  sloe::Engine app;
  std::vector<std::string> order;
  app.use([&order](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    order.push_back("audit");
  });
  app.get("/", [&order](Context& c) {
    order.push_back("handler");
    c.string(200, "ok");
  });
  Client client(app);
  EXPECT_EQ(client.get("/").body, "ok");
  EXPECT_EQ(order, (std::vector<std::string>{"audit", "handler"}));
}

TEST(CoroutineMiddleware, ARequestTimeoutEndsTheWaitAndEveryCoroutineFinishes) {
  sloe::EngineOptions options;
  options.request_timeout = 20ms;
  sloe::Engine app(options);
  bool middleware_resumed = false;
  bool handler_finished = false;
  app.use([&](Context& c) -> sloe::Task<> {
    try {
      co_await c.next();
    } catch (const sloe::ContextMisuse&) {
      // The 503 went out before the handler's scope woke it (the two timers race): the wait
      // ends all the same, and `c` says the request is over.
    }
    middleware_resumed = true;
  });
  app.get("/stuck", [&](Context& c) -> sloe::Task<> {
    sloe::Scope scope = c.scope();
    co_await sloe::sleep_for(scope, 1h);  // only the scope's cancellation ends this
    handler_finished = true;
  });
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  {
    Client client(app);
    EXPECT_EQ(client.get("/stuck").status, 503);
    EXPECT_EQ(client.get("/ping").body, "pong");
  }  // the Client runs the coroutines to their end before it goes
  EXPECT_TRUE(handler_finished);
  EXPECT_TRUE(middleware_resumed);
}

}  // namespace
