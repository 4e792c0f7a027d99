// Answers written over time on real sockets: a slow reader gets every byte, a client that
// leaves mid-stream ends the stream and cancels its scope, SSE events arrive as written.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "../support/raw_socket.hpp"
#include "sloe/sloe.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::test::RawSocket;

// The byte at `offset` of the test pattern: a stream that reorders or drops bytes shows.
char pattern(std::size_t offset) {
  return static_cast<char>('a' + (offset * 7 + offset / 4096) % 26);
}

sloe::EngineOptions one_thread() {
  sloe::EngineOptions options;
  options.threads = 1;
  return options;
}

TEST(StreamSocket, ASlowReaderGetsEveryByteInOrder) {
  constexpr std::size_t kPart = 64 * 1024;
  constexpr int kParts = 32;  // 2 MiB: far more than the unsent bound and the socket buffers
  sloe::Engine app(one_thread());
  app.get("/big", [](Context& c) {
    auto sent = std::make_shared<std::size_t>(0);
    c.stream([sent](Context& c) {
      std::string part(kPart, '\0');
      for (std::size_t i = 0; i < kPart; ++i) part[i] = pattern(*sent + i);
      *sent += kPart;
      c.write(part);
      return *sent < kPart * kParts;
    });
  });
  app.start("127.0.0.1:0");
  RawSocket socket(app.port());
  socket.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  // The client takes its time: the server's steps wait for it (the bound itself is checked
  // in process, in Stream.StepsWaitWhileTheUnsentOutputIsOverTheBound).
  std::size_t taken = 0;
  while (taken < kPart * 4) {
    const std::size_t got = socket.read_some(4096);
    ASSERT_GT(got, 0u) << "the stream stopped after " << taken << " bytes";
    taken += got;
  }
  auto answer = socket.read_response(30s);
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->body.size(), kPart * kParts);
  for (std::size_t i = 0; i < answer->body.size(); ++i) {
    ASSERT_EQ(answer->body[i], pattern(i)) << "at byte " << i;
  }
  app.shutdown(1s);
}

TEST(StreamSocket, AClientLeavingMidStreamEndsTheStream) {
  sloe::Engine app(one_thread());
  std::promise<int> ended;
  std::atomic<int> steps{0};
  app.get("/endless", [&](Context& c) {
    c.on_answered([&](Context& c) { ended.set_value(c.response_status()); });
    c.stream([&](Context& c) {
      ++steps;
      c.write(std::string(16 * 1024, 'x'));
      return true;  // only the client's leaving ends this stream
    });
  });
  app.start("127.0.0.1:0");
  {
    RawSocket socket(app.port());
    socket.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_GT(socket.read_some(1024), 0u);
  }  // the client hangs up
  auto future = ended.get_future();
  ASSERT_EQ(future.wait_for(30s), std::future_status::ready) << "the stream never ended";
  EXPECT_EQ(future.get(), 200);
  const int after = steps.load();
  EXPECT_GT(after, 0);
  sloe::ShutdownReport report = app.shutdown(1s);
  EXPECT_EQ(steps.load(), after) << "no step after the stream ended";
  EXPECT_EQ(report.connections_forced, 0u);
}

TEST(StreamSocket, AClientLeavingWhileACoroutineStreamWaitsCancelsItsScope) {
  sloe::Engine app(one_thread());
  std::promise<bool> cancelled;
  app.get("/ticks", [&](Context& c) -> sloe::Task<> {
    c.on_answered([&](Context& c) { cancelled.set_value(c.scope().cancelled()); });
    while (true) {
      c.write("tick\n");
      if (!co_await c.flush()) co_return;
      if (!co_await sloe::sleep_for(c.scope(), 50ms)) co_return;  // woken by the hang-up
    }
  });
  app.start("127.0.0.1:0");
  {
    RawSocket socket(app.port());
    socket.send("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_GT(socket.read_some(1024), 0u);
  }
  auto future = cancelled.get_future();
  ASSERT_EQ(future.wait_for(30s), std::future_status::ready) << "the coroutine never ended";
  EXPECT_TRUE(future.get()) << "the request's scope is cancelled when its client leaves";
  app.shutdown(1s);
}

TEST(StreamSocket, ServerSentEventsArriveAsWrittenAndTheConnectionGoesOn) {
  sloe::Engine app(one_thread());
  app.get("/events", [](Context& c) -> sloe::Task<> {
    for (int n = 1; n <= 3; ++n) {
      if (!co_await c.sse_event("tick", std::to_string(n))) co_return;
      co_await sloe::sleep_for(c.scope(), 5ms);
    }
  });
  app.get("/ping", [](Context& c) { c.string(200, "pong"); });
  app.start("127.0.0.1:0");
  RawSocket socket(app.port());
  socket.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answers = socket.read_responses(2);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].header("Content-Type"), "text/event-stream");
  EXPECT_EQ(answers[0].body,
            "event: tick\ndata: 1\n\nevent: tick\ndata: 2\n\nevent: tick\ndata: 3\n\n");
  EXPECT_EQ(answers[1].body, "pong");
  app.shutdown(1s);
}

}  // namespace
