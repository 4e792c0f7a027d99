// c.before_send(): a hook that sees the answer just before its head is serialised, for every
// way of answering (plain, coroutine, deferred, file, stream), and may rewrite it.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <string>
#include <thread>

#include "../support/captured_log.hpp"
#include "../support/temp_tree.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::OutgoingAnswer;
using sloe::testing::Client;

const char* kind_name(OutgoingAnswer::Kind kind) {
  switch (kind) {
    case OutgoingAnswer::Kind::body:
      return "body";
    case OutgoingAnswer::Kind::file:
      return "file";
    case OutgoingAnswer::Kind::stream:
      return "stream";
  }
  return "?";
}

// Middleware that upper-cases an in-memory body once it is final and names the kind it saw.
void shout(Context& c) {
  c.before_send([](Context& c, OutgoingAnswer& answer) {
    c.header("X-Kind", kind_name(answer.kind));
    c.header("X-Seen-Status", std::to_string(c.response_status()));
    if (answer.kind != OutgoingAnswer::Kind::body) return;
    for (char& ch : answer.body)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  });
  c.next();
}

TEST(BeforeSend, EveryWayOfAnsweringPassesThroughTheHookOnce) {
  sloe::test::TempTree files;
  files.write("note.txt", "file bytes");
  sloe::Engine app;
  app.use(shout);
  app.get("/plain", [](Context& c) { c.string(201, "plain"); });
  app.get("/coroutine", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), 1ms);
    c.string(202, "after a co_await");
  });
  app.get("/deferred", [](Context& c) {
    std::thread([answer = c.defer()]() mutable {
      answer.string(203, "from another thread");
    }).detach();
  });
  app.get("/file", [&](Context& c) { c.file(files.path("note.txt")); });
  app.get("/stream", [](Context& c) {
    auto n = std::make_shared<int>(0);
    c.stream([n](Context& c) {
      c.write("part ");
      return ++*n < 3;
    });
  });
  app.get("/throws", [](Context&) -> void { throw std::runtime_error("boom"); });
  struct Case {
    std::string_view target;
    int status;
    std::string_view kind;
    std::string_view body;
  };
  const Case cases[] = {
      {"/plain", 201, "body", "PLAIN"},
      {"/coroutine", 202, "body", "AFTER A CO_AWAIT"},
      {"/deferred", 203, "body", "FROM ANOTHER THREAD"},
      {"/file", 200, "file", "file bytes"},  // sent from the file, as it is
      {"/stream", 200, "stream", "part part part "},
      {"/throws", 500, "body", "INTERNAL SERVER ERROR"},  // the answer an exception makes
      {"/missing", 404, "body", "404 PAGE NOT FOUND"},
  };
  Client client(app);
  for (const Case& test : cases) {
    SCOPED_TRACE(test.target);
    auto r = client.get(test.target);
    EXPECT_EQ(r.status, test.status);
    EXPECT_EQ(r.header("X-Kind"), test.kind);
    EXPECT_EQ(r.header("X-Seen-Status"), std::to_string(test.status));
    EXPECT_EQ(r.body, test.body);
    if (test.kind == "body") {
      EXPECT_EQ(r.header("Content-Length"), std::to_string(test.body.size()));
    }
  }
}

TEST(BeforeSend, HooksRunLastAddedFirstLikeCodeAfterNext) {
  sloe::Engine app;
  auto appending = [](std::string mark) {
    return [mark](Context& c) {
      c.before_send([mark](Context&, OutgoingAnswer& answer) { answer.body += mark; });
      c.next();
    };
  };
  app.use(appending("<outer"), appending("<inner"));
  app.get("/", [](Context& c) { c.string(200, "body"); });
  Client client(app);
  EXPECT_EQ(client.get("/").body, "body<inner<outer");
}

TEST(BeforeSend, AHookMayAddAnotherThatRunsToo) {
  sloe::Engine app;
  app.use([](Context& c) {
    c.before_send([](Context& c, OutgoingAnswer&) {
      c.before_send([](Context& c, OutgoingAnswer&) { c.header("X-Second", "ran"); });
    });
    c.next();
  });
  app.get("/", [](Context& c) { c.string(200, "x"); });
  Client client(app);
  EXPECT_EQ(client.get("/").header("X-Second"), "ran");
}

TEST(BeforeSend, AHookThatThrowsIsLoggedAndTheAnswerLeavesAsItWas) {
  sloe::test::CapturedLog log;
  sloe::Engine app;
  app.use([](Context& c) {
    c.before_send([](Context& c, OutgoingAnswer&) { c.header("X-After", "yes"); });
    c.before_send([](Context&, OutgoingAnswer&) { throw std::runtime_error("hook failed"); });
    c.next();
  });
  app.get("/", [](Context& c) { c.string(200, "kept"); });
  Client client(app);
  auto r = client.get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "kept");
  EXPECT_EQ(r.header("X-After"), "yes") << "the other hooks still run";
  EXPECT_NE(log.text().find("before_send hook for GET / threw: hook failed"), std::string::npos)
      << log.text();
}

TEST(BeforeSend, AHookAddedOnceAStreamsHeadLeftNeverRuns) {
  sloe::Engine app;
  bool ran = false;
  app.get("/", [&](Context& c) -> sloe::Task<> {
    c.write("first ");
    co_await c.flush();
    c.before_send([&](Context&, OutgoingAnswer& answer) {
      ran = true;
      answer.body = "changed";
    });
    c.write("second");
  });
  Client client(app);
  EXPECT_EQ(client.get("/").body, "first second");
  EXPECT_FALSE(ran);
}

// A hook that flushes turns the answer into a stream: its head leaves once, with the hooks
// that had not run yet.
TEST(BeforeSend, AHookThatFlushesStartsTheStreamOnce) {
  sloe::Engine app;
  app.use([](Context& c) {
    c.before_send(
        [](Context& c, OutgoingAnswer& answer) { c.header("X-Outer", kind_name(answer.kind)); });
    c.before_send([](Context& c, OutgoingAnswer&) { c.flush(); });
    c.next();
  });
  app.get("/plain", [](Context& c) { c.string(200, "plain"); });
  app.get("/stream", [](Context& c) -> sloe::Task<> {
    c.write("first ");
    co_await c.flush();
    c.write("second");
  });
  Client client(app);
  auto exchange =
      client.raw("GET /plain HTTP/1.1\r\nHost: x\r\n\r\nGET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(exchange.responses.size(), 2u);
  EXPECT_EQ(exchange.responses[0].body, "plain");
  EXPECT_EQ(exchange.responses[0].header("X-Outer"), "stream");
  EXPECT_EQ(exchange.responses[1].body, "first second");
  EXPECT_EQ(exchange.responses[1].header("X-Outer"), "stream");
  EXPECT_FALSE(exchange.closed);
}

TEST(BeforeSend, ABodyWrittenByAHookReplacesAFile) {
  sloe::test::TempTree files;
  files.write("note.txt", "file bytes");
  sloe::Engine app;
  app.get("/", [&](Context& c) {
    c.before_send([](Context& c, OutgoingAnswer& answer) {
      if (answer.kind != OutgoingAnswer::Kind::file) return;
      c.header("Content-Type", "text/plain");
      answer.body = "instead of the file";
    });
    c.file(files.path("note.txt"));
  });
  Client client(app);
  auto r = client.get("/");
  EXPECT_EQ(r.body, "instead of the file");
  EXPECT_EQ(r.header("Content-Length"), "19");
}

}  // namespace
