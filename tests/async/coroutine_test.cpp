// Coroutine handlers (DESIGN.md invariant 6): they resume on their Context's worker thread
// after every co_await, never block the worker, and honour cancellation.

#include <gtest/gtest.h>
#include <sloe/async/task.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <thread>

#include "../net/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

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

TEST(Coroutine, DeadlineCancelsTheWait) {
  sloe::EngineOptions options;
  options.request_timeout = 30ms;
  sloe::Engine app(options);
  app.get("/long", [](Context& c) -> sloe::Task<> {
    auto started = std::chrono::steady_clock::now();
    bool slept = co_await sloe::sleep_for(c.scope(), 10s);
    auto waited = std::chrono::steady_clock::now() - started;
    c.json(slept ? 200 : 503, {{"slept", slept},
                               {"reason", std::string(to_string(c.scope().reason()))},
                               {"short", waited < 5s}});
  });
  Client client(app);
  auto r = client.get("/long");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["slept"], false);
  EXPECT_EQ(r.json()["short"], true);
  EXPECT_NE(r.json()["reason"].get<std::string>().find("deadline"), std::string::npos);
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
