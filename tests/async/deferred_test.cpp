// c.defer(): answering later, from any thread (DESIGN.md invariants 4 and 5).

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <mutex>
#include <optional>
#include <thread>

#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

TEST(Deferred, AnsweredFromAnotherThread) {
  sloe::Engine app;
  std::thread::id handler_thread;
  std::thread::id answer_thread;
  app.get("/later/:id", [&](Context& c) {
    handler_thread = std::this_thread::get_id();
    std::thread([r = c.defer(), job = c.copy(), &answer_thread]() mutable {
      std::this_thread::sleep_for(20ms);
      answer_thread = std::this_thread::get_id();
      r.header("X-Late", "yes");
      EXPECT_TRUE(r.json(200, {{"id", job.param("id")}}));
    }).detach();
  });
  Client client(app);
  auto r = client.get("/later/7");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["id"], "7");
  EXPECT_EQ(r.header("X-Late"), "yes");
  EXPECT_NE(handler_thread, answer_thread);
}

TEST(Deferred, FirstAnswerWinsAndLaterOnesAreRefused) {
  sloe::Engine app;
  std::atomic<int> accepted{0};
  app.get("/race", [&](Context& c) {
    sloe::Responder r = c.defer();
    std::vector<std::thread> racers;
    for (int i = 0; i < 4; ++i) {
      racers.emplace_back([r, i, &accepted]() mutable {
        if (r.string(200, std::to_string(i))) accepted.fetch_add(1);
      });
    }
    for (auto& t : racers) t.join();
    EXPECT_TRUE(r.answered());
  });
  Client client(app);
  auto r = client.get("/race");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(accepted.load(), 1);
}

TEST(Deferred, DroppedResponderAnswers500) {
  sloe::Engine app;
  app.get("/dropped",
          [](Context& c) { std::thread([r = c.defer()] { /* forgets to answer */ }).detach(); });
  app.get("/ok", [](Context& c) { c.string(200, "ok"); });
  Client client(app);
  EXPECT_EQ(client.get("/dropped").status, 500);
  EXPECT_EQ(client.get("/ok").body, "ok");
}

TEST(Deferred, RequestTimeoutAnswers503) {
  sloe::EngineOptions options;
  options.request_timeout = 50ms;
  sloe::Engine app(options);
  std::optional<sloe::Responder> held;
  app.get("/slow", [&](Context& c) { held = c.defer(); });
  Client client(app);
  auto r = client.get("/slow");
  EXPECT_EQ(r.status, 503);
  ASSERT_TRUE(held.has_value());
  EXPECT_FALSE(held->string(200, "too late"));
}

TEST(Deferred, PipelinedAnswersKeepRequestOrder) {
  sloe::Engine app;
  app.get("/slow", [](Context& c) {
    std::thread([r = c.defer()]() mutable {
      std::this_thread::sleep_for(30ms);
      r.string(200, "slow");
    }).detach();
  });
  app.get("/fast", [](Context& c) { c.string(200, "fast"); });
  Client client(app);
  auto exchange = client.raw(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(exchange.responses.size(), 3u);
  EXPECT_EQ(exchange.responses[0].body, "slow");
  EXPECT_EQ(exchange.responses[1].body, "fast");
  EXPECT_EQ(exchange.responses[2].body, "slow");
}

TEST(Deferred, OverRealSocketsWithPipeliningAndShutdown) {
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  app.get("/slow/:n", [&](Context& c) {
    app.spawn(c.copy(), [r = c.defer()](sloe::ContextCopy& job) mutable {
      std::this_thread::sleep_for(20ms);
      r.string(200, job.param("n"));
    });
  });
  app.get("/fast/:n", [](Context& c) { c.string(200, c.param("n")); });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  socket.send(
      "GET /slow/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast/2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /slow/3 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast/4 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answers = socket.read_responses(4);
  ASSERT_EQ(answers.size(), 4u);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(answers[static_cast<std::size_t>(i)].body, std::to_string(i + 1));

  // A deferred request in flight at shutdown is still answered within the grace period.
  sloe::test::RawSocket late(app.port());
  late.send("GET /slow/9 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(5ms);
  sloe::ShutdownReport report = app.shutdown(2s);
  auto last = late.read_responses(1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].body, "9");
  EXPECT_EQ(report.connections_forced, 0u);
}

TEST(Deferred, ClientThatGoesAwayCancelsTheRequestScope) {
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  std::mutex mutex;
  std::optional<sloe::Responder> answer;
  sloe::Scope request_scope;
  std::atomic<bool> deferred{false};
  app.get("/slow", [&](Context& c) {
    std::lock_guard lock(mutex);
    answer = c.defer();
    request_scope = c.scope();
    deferred = true;
  });
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  app.start("127.0.0.1:0");
  {
    sloe::test::RawSocket gone(app.port());
    gone.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 200 && !deferred; ++i) std::this_thread::sleep_for(5ms);
  }  // the client hangs up before the answer
  bool cancelled = false;
  for (int i = 0; i < 400 && !cancelled; ++i) {
    std::this_thread::sleep_for(5ms);
    std::lock_guard lock(mutex);
    cancelled = request_scope.cancelled();
  }
  EXPECT_TRUE(cancelled);
  {
    std::lock_guard lock(mutex);
    ASSERT_TRUE(answer.has_value());
    EXPECT_TRUE(answer->string(200, "nobody listens"));  // dropped without error
  }
  sloe::test::RawSocket next(app.port());
  next.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = next.read_responses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "pong");
  sloe::ShutdownReport report = app.shutdown(1s);
  EXPECT_EQ(report.connections_forced, 0u);
}

}  // namespace
