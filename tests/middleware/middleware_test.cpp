#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include "../support/captured_log.hpp"

#include <algorithm>

namespace {

using sloe::Context;
using sloe::testing::Client;

using sloe::test::CapturedLog;

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
