// sloe::timeout(): the 503 at the deadline for every kind of handler, the scope cancelled, a
// late answer dropped, the innermost timeout deciding, and Context::set_timeout's rules.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

void expect_deadline_answer(const sloe::testing::Response& r, const char* path) {
  EXPECT_EQ(r.status, 503) << path;
  EXPECT_EQ(r.body, "request deadline exceeded") << path;
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8") << path;
}

TEST(Timeout, EveryKindOfHandlerGetsThe503AtItsDeadline) {
  sloe::Engine app;
  auto api = app.group("/api", sloe::timeout(20ms));
  sloe::CancelReason reason = sloe::CancelReason::none;
  api.get("/coroutine", [&](Context& c) -> sloe::Task<> {
    sloe::Scope scope = c.scope();
    co_await sloe::sleep_for(scope, 1h);  // only the deadline ends this
    reason = scope.reason();
  });
  std::optional<sloe::Responder> never;
  api.get("/deferred", [&](Context& c) { never = c.defer(); });
  api.get("/plain", [](Context& c) {
    std::this_thread::sleep_for(40ms);  // a blocking call: it cannot be interrupted
    c.header("Content-Type", "application/json");
    c.string(200, "late");
  });
  api.get("/fast", [](Context& c) { c.string(200, "in time"); });
  const std::uint64_t before = sloe::timed_out_requests();
  {
    Client client(app);
    for (const char* path : {"/api/coroutine", "/api/deferred", "/api/plain"}) {
      expect_deadline_answer(client.get(path), path);
    }
    EXPECT_EQ(client.get("/api/fast").body, "in time");
  }
  EXPECT_EQ(reason, sloe::CancelReason::deadline_exceeded);
  EXPECT_EQ(sloe::timed_out_requests() - before, 3u);
}

TEST(Timeout, TheInnermostTimeoutDecidesAndOtherRoutesKeepTheEngines) {
  sloe::EngineOptions options;
  options.request_timeout = 30s;
  sloe::Engine app(options);
  auto api = app.group("/api", sloe::timeout(10s));
  api.get("/group", [](Context& c) { c.string(200, std::to_string(c.timeout().count())); });
  api.get("/route", sloe::timeout(20ms),
          [](Context& c) -> sloe::Task<> { co_await sloe::sleep_for(c.scope(), 1h); });
  app.get("/outside", [](Context& c) { c.string(200, std::to_string(c.timeout().count())); });
  Client client(app);
  EXPECT_EQ(client.get("/api/group").body, "10000");
  expect_deadline_answer(client.get("/api/route"), "/api/route");
  EXPECT_EQ(client.get("/outside").body, "30000");
}

TEST(Timeout, SetTimeoutComesBeforeTheScopeAndTheLaterAnswer) {
  sloe::Engine app;
  app.get("/after-scope", [](Context& c) {
    (void)c.scope();
    EXPECT_THROW(c.set_timeout(1s), std::logic_error);
    c.string(200, "ok");
  });
  app.get("/none", [](Context& c) {
    c.set_timeout(0ms);
    c.string(200, std::to_string(c.timeout().count()));
  });
  Client client(app);
  EXPECT_EQ(client.get("/after-scope").body, "ok");
  EXPECT_EQ(client.get("/none").body, "0");
  EXPECT_THROW(sloe::timeout(0ms), std::invalid_argument);
}

}  // namespace
