#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include "../support/captured_log.hpp"

#include <algorithm>
#include <sstream>
#include <string_view>
#include <thread>

namespace {

using sloe::Context;
using sloe::testing::Client;

using sloe::test::CapturedLog;

TEST(Logger, OneAccessLinePerRequest) {
  CapturedLog log;
  sloe::Engine app;
  app.use(sloe::logger());
  app.get("/user/:id", [](Context& c) { c.string(201, "x"); });
  Client client(app);
  client.get("/user/7?x=1");
  client.get("/missing");
  std::string text = log.text();
  EXPECT_NE(text.find("201"), std::string::npos) << text;
  EXPECT_NE(text.find("GET     \"/user/7?x=1\""), std::string::npos) << text;
  EXPECT_NE(text.find("192.0.2.10"), std::string::npos) << text;
  EXPECT_NE(text.find("ms |"), std::string::npos) << text;
  EXPECT_NE(text.find("404"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

// The access line's client-controlled fields are escaped nginx-style: one request can never
// make more than one line, nor hide bytes a terminal or log shipper would act on.
TEST(Logger, ClientDataOnTheAccessLineIsEscaped) {
  struct Case {
    std::string_view target;
    std::string_view logged;  // what the line shows between the quotes
  };
  const Case cases[] = {
      {"/a%0aGET%20/forged", R"(/a\x0AGET /forged)"},
      {"/a%0d%0aX", R"(/a\x0D\x0AX)"},
      {"/nul%00.txt", R"(/nul\x00.txt)"},
      {"/say%22hi%22", R"(/say\x22hi\x22)"},
      {"/back%5cslash", R"(/back\x5Cslash)"},
      {"/esc%1b[31m%7f", R"(/esc\x1B[31m\x7F)"},
      {"/caf%C3%A9", R"(/caf\xC3\xA9)"},
      // The query is logged as sent: still percent-encoded, so nothing in it needs escaping
      // but the quote a client may put there raw.
      {"/q?x=%0a&y=%00", R"(/q?x=%0a&y=%00)"},
      {"/q?x=\"quoted\"", R"(/q?x=\x22quoted\x22)"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.target);
    CapturedLog log;
    sloe::Engine app;
    app.use(sloe::logger());
    app.get("/*any", [](Context& c) { c.string(200, "ok"); });
    Client client(app);
    EXPECT_EQ(client.get(test.target).status, 200);
    std::string text = log.text();
    EXPECT_NE(text.find(fmt::format("GET     \"{}\"", test.logged)), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    ASSERT_FALSE(text.empty());
    EXPECT_TRUE(
        std::all_of(text.begin(), text.end() - 1, [](char ch) { return ch >= 0x20 && ch < 0x7F; }))
        << "a raw control or 8-bit byte reached the log: " << text;
  }
}

TEST(Logger, ErrorLinesAreEscaped) {
  CapturedLog log;
  sloe::Engine app;
  app.use(sloe::logger());
  app.get("/*any", [](Context& c) {
    c.error(std::string("bad value \"") + std::string(c.path()) + "\"");
    c.string(400, "no");
  });
  Client client(app);
  client.get("/x%0a[sloe]%20forged");
  std::string text = log.text();
  EXPECT_NE(text.find(R"([sloe] error: bad value \x22/x\x0A[sloe] forged\x22)"), std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;  // access line + error
}

TEST(Logger, RequestsAnsweredLaterAreLoggedWithTheirFinalStatus) {
  CapturedLog log;
  sloe::Engine app;
  app.use(sloe::logger());
  app.get("/deferred",
          [](Context& c) { std::thread([r = c.defer()]() mutable { r.status(201); }).detach(); });
  app.get("/coro", [](Context& c) -> sloe::Task<> {
    co_await sloe::sleep_for(c.scope(), std::chrono::milliseconds(1));
    c.string(202, "done");
  });
  Client client(app);
  EXPECT_EQ(client.get("/deferred").status, 201);
  EXPECT_EQ(client.get("/coro").status, 202);
  std::string text = log.text();
  EXPECT_NE(text.find("201 |"), std::string::npos) << text;
  EXPECT_NE(text.find("202 |"), std::string::npos) << text;
  EXPECT_EQ(text.find("200 |"), std::string::npos) << text;  // nothing logged before the answer
}

TEST(Recovery, ExceptionBecomes500AndALogLineAndServingGoesOn) {
  CapturedLog log;
  sloe::Engine app;
  app.use(sloe::recovery());
  app.get("/boom", [](Context& c) {
    c.header("X-Partial", "1");
    c.string(200, "half an answer");
    throw std::runtime_error("disk on fire");
  });
  app.get("/weird", [](Context&) { throw 42; });
  app.get("/ok", [](Context& c) { c.string(200, "ok"); });
  Client client(app);
  auto r = client.get("/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "internal server error");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("X-Partial"), "");
  EXPECT_EQ(client.get("/weird").status, 500);
  EXPECT_EQ(client.get("/ok").body, "ok");
  std::string text = log.text();
  EXPECT_NE(text.find("GET /boom"), std::string::npos) << text;
  EXPECT_NE(text.find("disk on fire"), std::string::npos) << text;
}

TEST(Recovery, TheExceptionLineEscapesThePathAndTheMessage) {
  CapturedLog log;
  sloe::Engine app;
  app.use(sloe::recovery());
  app.get("/*any", [](Context& c) -> void {
    throw std::runtime_error("no such user: " + std::string(c.path()));
  });
  Client client(app);
  EXPECT_EQ(client.get("/u%0d%0aforged").status, 500);
  std::string text = log.text();
  EXPECT_NE(text.find(R"(GET /u\x0D\x0Aforged threw: no such user: /u\x0D\x0Aforged)"),
            std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

}  // namespace
