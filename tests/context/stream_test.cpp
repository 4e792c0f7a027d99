// Answers written over time, in process: c.stream (Gin's Stream), c.write/c.flush in coroutine
// handlers, Server-Sent Events, HTTP/1.0 and HEAD, and the back-pressure that keeps a slow
// reader from growing the server's memory.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <deque>
#include <functional>
#include <string>

#include "engine/engine_access.hpp"
#include "engine/engine_core.hpp"
#include "http/session.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

TEST(Stream, StepsAreSentAsChunksUntilOneReturnsFalse) {
  sloe::Engine app;
  app.get("/count", [](Context& c) {
    c.header("X-Kind", "count");
    c.status(201);
    auto n = std::make_shared<int>(0);
    c.stream([n](Context& c) {
      c.write("part " + std::to_string(++*n) + "\n");
      return *n < 3;
    });
  });
  Client client(app);
  auto exchange =
      client.raw("GET /count HTTP/1.1\r\nHost: x\r\n\r\nGET /count HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(exchange.responses.size(), 2u)
      << "a stream ends its exchange; the next request follows";
  for (const auto& r : exchange.responses) {
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(r.header("Content-Length"), "");
    EXPECT_EQ(r.header("X-Kind"), "count");
    EXPECT_EQ(r.body, "part 1\npart 2\npart 3\n");
  }
  EXPECT_FALSE(exchange.closed);
}

TEST(Stream, CoroutineWritesFlushAndSleepBetweenParts) {
  sloe::Engine app;
  app.get("/slow", [](Context& c) -> sloe::Task<> {
    for (int n = 1; n <= 3; ++n) {
      c.write(std::to_string(n));
      EXPECT_TRUE(co_await c.flush()) << "the client is there";
      co_await sloe::sleep_for(c.scope(), 1ms);
    }
  });
  Client client(app);
  auto r = client.get("/slow");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.body, "123");
}

TEST(Stream, ServerSentEventsHaveTheirFieldsAndHeaders) {
  sloe::Engine app;
  app.get("/events", [](Context& c) -> sloe::Task<> {
    co_await c.sse_event("tick", "1");
    co_await c.sse_event("", "two\nlines\r\nand\rmore", {.id = "7", .retry = 1500ms});
  });
  Client client(app);
  auto r = client.get("/events");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_EQ(r.body,
            "event: tick\ndata: 1\n\n"
            "id: 7\nretry: 1500\ndata: two\ndata: lines\ndata: and\ndata: more\n\n");
}

TEST(Stream, AnEventNameWithALineBreakIsRefusedBeforeAnythingIsSent) {
  sloe::Engine app;
  app.get("/bad", [](Context& c) { c.sse_event("tick\ndata: forged", "x"); });
  app.get("/bad-id", [](Context& c) { c.sse_event("tick", "x", {.id = "1\r\n"}); });
  Client client(app);
  for (const char* path : {"/bad", "/bad-id"}) {
    auto r = client.get(path);
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(r.body.find("forged"), std::string::npos) << path;
  }
}

TEST(Stream, AnHttp10ClientGetsTheBodyUntilTheConnectionCloses) {
  sloe::Engine app;
  app.get("/s", [](Context& c) {
    c.write("abc");
    c.flush();
    c.write("def");
  });
  Client client(app);
  auto exchange = client.raw("GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(exchange.responses.size(), 1u);
  const auto& r = exchange.responses[0];
  EXPECT_EQ(r.header("Transfer-Encoding"), "");
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_EQ(r.body, "abcdef");
  EXPECT_TRUE(exchange.closed);
}

TEST(Stream, HeadGetsTheHeadersOnly) {
  sloe::Engine app;
  app.get("/s", [](Context& c) {
    c.write("abc");
    c.flush();
  });
  Client client(app);
  auto exchange =
      client.raw("HEAD /s HTTP/1.1\r\nHost: x\r\n\r\nGET /s HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(exchange.responses.size(), 2u);
  EXPECT_EQ(exchange.responses[0].status, 200);
  EXPECT_EQ(exchange.responses[0].header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(exchange.responses[0].body, "");
  EXPECT_EQ(exchange.responses[1].body, "abc");
}

TEST(Stream, AStepThatThrowsBreaksTheAnswerOffAndClosesTheConnection) {
  sloe::Engine app;
  app.get("/broken", [](Context& c) {
    auto n = std::make_shared<int>(0);
    c.stream([n](Context& c) {
      if (++*n == 2) throw std::runtime_error("lost the source");
      c.write("first");
      return true;
    });
  });
  Client client(app);
  EXPECT_THROW(client.raw("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n"), std::runtime_error)
      << "the chunked body has no last chunk: the client must not take it for complete";
}

// A transport that sends nothing until told to, and an event loop run by hand: the stream's
// steps must stop while the unsent output is over the bound, and go on once it was sent.
class HeldTransport final : public sloe::http::Transport, public sloe::Executor {
 public:
  void output_ready() override {}
  const std::shared_ptr<sloe::Executor>& executor() override { return self_; }
  void post(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void post_after(std::chrono::steady_clock::duration, std::function<void()> fn) override {
    ready_.push_back(std::move(fn));
  }
  void run_until_idle() {
    while (!ready_.empty()) {
      auto fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
  }

 private:
  std::shared_ptr<sloe::Executor> self_{this, [](sloe::Executor*) {}};
  std::deque<std::function<void()>> ready_;
};

TEST(Stream, StepsWaitWhileTheUnsentOutputIsOverTheBound) {
  constexpr std::size_t kPart = 16 * 1024;
  sloe::Engine app;
  int steps = 0;
  bool done = false;
  app.get("/flood", [&](Context& c) {
    c.on_answered([&](Context&) { done = true; });
    c.stream([&](Context& c) {
      c.write(std::string(kPart, 'x'));
      return ++steps < 100;
    });
  });
  auto& core = sloe::detail::EngineAccess::core(app);
  core.freeze();
  HeldTransport transport;
  sloe::detail::set_this_thread_executor(transport.executor());
  sloe::detail::EngineRequestHandler handler(core);
  sloe::http::Session session(core.limits(), handler, transport, "192.0.2.1");
  std::string request = "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n";
  std::span<char> space = session.prepare(request.size());
  std::copy(request.begin(), request.end(), space.data());
  session.commit(request.size());
  session.process();
  transport.run_until_idle();

  // Nothing was sent: the steps stopped at the bound, not at the end of the stream.
  const std::size_t limit = sloe::http::Exchange::kUnsentLimit;
  EXPECT_LE(session.output().size(), limit + kPart + 1024);
  EXPECT_LT(steps, 100);
  const int held_at = steps;

  // The client reads everything: the stream goes on to its end.
  std::string received;
  while (session.waiting()) {
    session.output().drain_into(received);
    session.output_sent();
    transport.run_until_idle();
  }
  session.output().drain_into(received);
  EXPECT_GT(steps, held_at);
  EXPECT_EQ(steps, 100);
  EXPECT_TRUE(done);
  EXPECT_TRUE(received.ends_with("0\r\n\r\n"));
  sloe::detail::set_this_thread_executor(nullptr);
}

}  // namespace
