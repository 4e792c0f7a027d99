// Coroutine handlers (DESIGN.md invariant 6): they resume on their Context's worker thread
// after every co_await, never block the worker, and honour cancellation.

#include <gtest/gtest.h>
#include <sloe/async/task.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <atomic>
#include <optional>
#include <thread>

#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

// Handlers written as free coroutine functions. GCC 12.2 (Debian 12's) miscompiles a free
// coroutine function that suspends inside an if's condition (`if (!co_await x) co_return;`:
// it never resumes); lambdas are not affected. The forms the docs give for free functions:
// the result in a variable first, or in the if's init-statement.
sloe::Task<> sleep_then_check(Context& c) {
  bool slept = co_await sloe::sleep_for(c.scope(), 1ms);
  if (!slept) co_return;
  c.string(200, "slept");
}
sloe::Task<> sleep_in_an_init_statement(Context& c) {
  if (bool slept = co_await sloe::sleep_for(c.scope(), 0ms); !slept) co_return;
  c.string(200, "no sleep");
}
sloe::Task<> cancelled_sleep(Context& c) {
  sloe::Scope cancelled = c.scope().with_cancel();
  cancelled.cancel();
  if (bool slept = co_await sloe::sleep_for(cancelled, 1h); !slept) {
    c.string(200, "cancelled");
    co_return;
  }
  c.string(500, "slept an hour");
}

TEST(Coroutine, FreeCoroutineFunctionsAsHandlersAndAwaitedByOthers) {
  sloe::Engine app;
  app.get("/sleep", sleep_then_check);
  app.get("/zero", sleep_in_an_init_statement);
  app.get("/cancelled", cancelled_sleep);
  app.get("/nested", [](Context& c) -> sloe::Task<> {
    if (!co_await sloe::sleep_for(c.scope(), 1ms)) co_return;  // fine in a lambda
    co_await sleep_then_check(c);
  });
  Client client(app);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(client.get("/sleep").body, "slept");
    EXPECT_EQ(client.get("/zero").body, "no sleep");
    EXPECT_EQ(client.get("/cancelled").body, "cancelled");
    EXPECT_EQ(client.get("/nested").body, "slept");
  }
}

TEST(Coroutine, ResumesOnTheWorkerThreadAfterEveryAwait) {
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  app.get("/co/:n", [&](Context& c) -> sloe::Task<> {
    auto worker = std::this_thread::get_id();
    bool slept = co_await sloe::sleep_for(c.scope(), 10ms);
    bool same_after_sleep = std::this_thread::get_id() == worker;
    std::thread::id pool_thread;
    int doubled = co_await sloe::offload(app.tasks(), c.scope(),
                                         [&, n = std::stoi(std::string(c.param("n")))] {
                                           pool_thread = std::this_thread::get_id();
                                           return n * 2;
                                         });
    bool same_after_offload = std::this_thread::get_id() == worker;
    c.json(200, {{"slept", slept},
                 {"same_after_sleep", same_after_sleep},
                 {"same_after_offload", same_after_offload},
                 {"offloaded", pool_thread != worker},
                 {"doubled", doubled}});
  });
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  app.start("127.0.0.1:0");

  sloe::test::RawSocket socket(app.port());
  socket.send("GET /co/21 HTTP/1.1\r\nHost: x\r\n\r\n");
  // The only worker is free while the coroutine sleeps: another connection is served.
  sloe::test::RawSocket other(app.port());
  other.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  auto pong = other.read_responses(1);
  ASSERT_EQ(pong.size(), 1u);
  EXPECT_EQ(pong[0].body, "pong");

  auto answers = socket.read_responses(1);
  ASSERT_EQ(answers.size(), 1u);
  sloe::json body = sloe::json::parse(answers[0].body);
  EXPECT_EQ(body["slept"], true);
  EXPECT_EQ(body["same_after_sleep"], true);
  EXPECT_EQ(body["same_after_offload"], true);
  EXPECT_EQ(body["offloaded"], true);
  EXPECT_EQ(body["doubled"], 42);
  app.shutdown(1s);
}

TEST(Coroutine, ExceptionAfterSuspensionIs500) {
  sloe::Engine app;
  app.get("/boom", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    throw std::runtime_error("late failure");
  });
  app.get("/sync", [](Context& c) -> sloe::Task<> {
    c.string(200, "no suspension");
    co_return;
  });
  Client client(app);
  EXPECT_EQ(client.get("/boom").status, 500);
  EXPECT_EQ(client.get("/sync").body, "no suspension");
}

// EngineOptions::request_timeout: a coroutine that has not answered by then gets the 503 a
// deferred request gets, its scope is cancelled (with reason deadline_exceeded), and what it
// does afterwards is dropped; the connection goes on with the next request.
TEST(Coroutine, UnansweredAtRequestTimeoutGets503AndItsLaterAnswerIsDropped) {
  sloe::EngineOptions options;
  options.request_timeout = 50ms;
  sloe::Engine app(options);
  std::optional<bool> slept;
  sloe::CancelReason reason = sloe::CancelReason::none;
  bool finished = false;
  app.get("/stuck", [&](Context& c) -> sloe::Task<> {
    c.header("X-Set-Before", "kept");
    sloe::Scope scope = c.scope();
    slept = co_await sloe::sleep_for(scope, 1h);  // only the scope's cancellation ends this
    reason = scope.reason();
    finished = true;
    c.string(200, "too late");  // dropped: throws ContextMisuse, or is replaced by the 503
  });
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  {
    Client client(app);
    auto exchange =
        client.raw("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(exchange.responses.size(), 2u);
    const auto& late = exchange.responses[0];
    EXPECT_EQ(late.status, 503);
    EXPECT_EQ(late.body, "request deadline exceeded");
    EXPECT_EQ(late.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(late.header("X-Set-Before"), "kept");
    EXPECT_FALSE(late.header("X-Request-ID").empty());
    EXPECT_EQ(exchange.responses[1].body, "pong");
    EXPECT_FALSE(exchange.closed);
    EXPECT_EQ(client.get("/ping").body, "pong");
  }  // the Client runs the coroutine to its end before it goes
  ASSERT_TRUE(slept.has_value());
  EXPECT_FALSE(*slept);
  EXPECT_EQ(reason, sloe::CancelReason::deadline_exceeded);
  EXPECT_TRUE(finished);
}

// The deferred request's answer has the same shape, so clients see one kind of timeout.
TEST(Coroutine, RequestTimeoutAnswerMatchesTheDeferredOne) {
  sloe::EngineOptions options;
  options.request_timeout = 50ms;
  sloe::Engine app(options);
  std::optional<sloe::Responder> held;
  app.get("/deferred", [&](Context& c) { held = c.defer(); });
  app.get("/coroutine",
          [](Context& c) -> sloe::Task<> { co_await sloe::sleep_for(c.scope(), 1h); });
  Client client(app);
  auto deferred = client.get("/deferred");
  auto coroutine = client.get("/coroutine");
  EXPECT_EQ(coroutine.status, deferred.status);
  EXPECT_EQ(coroutine.body, deferred.body);
  EXPECT_EQ(coroutine.header("Content-Type"), deferred.header("Content-Type"));
}

// A coroutine that answers before its deadline is not disturbed by it.
TEST(Coroutine, AnswerBeforeTheRequestTimeoutStands) {
  sloe::EngineOptions options;
  options.request_timeout = 10s;
  sloe::Engine app(options);
  app.get("/quick", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 0ms);
    c.string(200, "in time");
  });
  Client client(app);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.get("/quick").body, "in time");
}

// The same on a real worker: the 503 comes from the worker's own timer, the connection is
// served on, and the coroutine, woken by its cancelled scope, ends without disturbing anything.
TEST(Coroutine, RequestTimeoutOnARealWorker) {
  sloe::EngineOptions options;
  options.threads = 1;
  options.request_timeout = 50ms;
  sloe::Engine app(options);
  app.get("/stuck", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1h);
    c.string(200, "too late");
  });
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  socket.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answers = socket.read_responses(2);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 503);
  EXPECT_EQ(answers[0].body, "request deadline exceeded");
  EXPECT_EQ(answers[1].body, "pong");
  app.shutdown(1s);
}

TEST(Coroutine, ClientThatGoesAwayCancelsTheWait) {
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  std::atomic<int> finished{0};
  std::atomic<bool> woke_early{false};
  app.get("/wait", [&](Context& c) -> sloe::Task<> {
    bool slept = co_await sloe::sleep_for(c.scope(), 30s);
    woke_early = !slept;
    finished.fetch_add(1);
    c.string(200, "too late");
  });
  app.start("127.0.0.1:0");
  {
    sloe::test::RawSocket gone(app.port());
    gone.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(50ms);
  }
  for (int i = 0; i < 400 && finished.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(finished.load(), 1);
  EXPECT_TRUE(woke_early.load());
  app.shutdown(1s);
}

TEST(Coroutine, ShutdownCancelsAWaitingCoroutine) {
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  app.get("/wait", [](Context& c) -> sloe::Task<> {
    bool slept = co_await sloe::sleep_for(c.scope(), 30s);
    c.string(slept ? 200 : 503, slept ? "slept" : "cancelled");
  });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  socket.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  auto started = std::chrono::steady_clock::now();
  app.shutdown(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
