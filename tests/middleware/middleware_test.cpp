#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include "../support/captured_log.hpp"

#include <sstream>
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
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("X-Partial"), "");
  EXPECT_EQ(client.get("/weird").status, 500);
  EXPECT_EQ(client.get("/ok").body, "ok");
  std::string text = log.text();
  EXPECT_NE(text.find("GET /boom"), std::string::npos) << text;
  EXPECT_NE(text.find("disk on fire"), std::string::npos) << text;
}

}  // namespace
