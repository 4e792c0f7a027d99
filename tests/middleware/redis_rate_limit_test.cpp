// sloe::RedisRateLimitStore against a real redis-server that each test starts on a free port of
// 127.0.0.1: the bucket math in the Lua script, key expiry, the NOSCRIPT fallback, two engines
// sharing one limit, a stopped Redis (fail open / closed, one warning down, one line back) and
// a paused Redis that must not hold the worker. redis-server missing is a failure, not a skip:
// scripts/setup installs it.

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "../support/captured_log.hpp"
#include "../support/raw_socket.hpp"
#include "../support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::RedisRateLimitOptions;
using sloe::RedisRateLimitStore;
using sloe::test::RedisReply;
using sloe::test::RedisServer;
using sloe::testing::Client;
using std::chrono::steady_clock;

RedisRateLimitOptions options_for(const RedisServer& redis) {
  return {.port = redis.port(), .timeout = 200ms, .min_backoff = 10ms, .max_backoff = 50ms};
}

TEST(RedisRateLimit, ScriptTakesTokensAndExpiresIdleKeys) {
  RedisServer redis;
  RedisRateLimitStore store(options_for(redis));
  sloe::RateLimitQuota quota{.rate = 0.01, .burst = 3};  // one token per 100 s
  for (std::int64_t remaining : {2, 1, 0}) {
    sloe::RateLimitDecision d = store.take("client", quota, steady_clock::now());
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, remaining);
  }
  sloe::RateLimitDecision refused = store.take("client", quota, steady_clock::now());
  EXPECT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after, 99s);
  EXPECT_LE(refused.retry_after, 100s);
  EXPECT_GT(refused.reset, 299s);
  // The key lives until its bucket is full again, then vanishes by itself.
  RedisReply ttl = redis.command({"PTTL", "sloe:rate:client"});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 299'000);
  EXPECT_LE(ttl->integer, 300'000);
  EXPECT_TRUE(store.take("other", quota, steady_clock::now()).allowed);
}

TEST(RedisRateLimit, ScriptFlushedByRedisIsSentAgain) {
  RedisServer redis;
  RedisRateLimitStore store(options_for(redis));
  sloe::RateLimitQuota quota{.rate = 1, .burst = 5};
  EXPECT_EQ(store.take("k", quota, steady_clock::now()).remaining, 4);
  RedisReply flushed = redis.command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(flushed);
  EXPECT_EQ(store.take("k", quota, steady_clock::now()).remaining, 3) << "EVAL after NOSCRIPT";
  EXPECT_EQ(store.take("k", quota, steady_clock::now()).remaining, 2) << "and cached again";
}

TEST(RedisRateLimit, TwoEnginesShareOneLimit) {
  RedisServer redis;
  auto make_app = [&](sloe::Engine& app) {
    app.use(sloe::rate_limit({.rate = 0.01,
                              .burst = 2,
                              .store = std::make_shared<RedisRateLimitStore>(options_for(redis)),
                              .timeout = 1s}));
    app.get("/work", [](Context& c) { c.string(200, "done"); });
  };
  sloe::Engine one;
  sloe::Engine two;
  make_app(one);
  make_app(two);
  Client a(one);
  Client b(two);
  EXPECT_EQ(a.get("/work").header("RateLimit-Remaining"), "1");
  EXPECT_EQ(b.get("/work").header("RateLimit-Remaining"), "0");
  auto refused = a.get("/work");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("Retry-After"), "100");
  EXPECT_EQ(refused.header("RateLimit-Limit"), "2");
  EXPECT_EQ(b.get("/work").status, 429);
}

struct RedisLimitedApp {
  RedisLimitedApp(const RedisServer& redis, bool fail_open) {
    app.use(sloe::rate_limit({.rate = 1000,
                              .burst = 1000,
                              .store = std::make_shared<RedisRateLimitStore>(options_for(redis)),
                              .timeout = 1s,
                              .fail_open = fail_open}));
    app.get("/work", [](Context& c) { c.string(200, "done"); });
  }
  sloe::Engine app;
};

int count(const std::string& text, std::string_view what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(RedisRateLimit, RedisDownFailsOpenWarnsOnceAndRecovers) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  RedisLimitedApp limited(redis, /*fail_open=*/true);
  Client client(limited.app);
  EXPECT_EQ(client.get("/work").header("RateLimit-Limit"), "1000");

  redis.stop();
  for (int i = 0; i < 20; ++i) {
    auto r = client.get("/work");
    EXPECT_EQ(r.status, 200) << "fail open lets requests through";
    EXPECT_EQ(r.header("RateLimit-Limit"), "") << "no limit was checked";
  }
  EXPECT_EQ(count(log.text(), "is unavailable"), 1) << log.text();

  redis.start();  // same port: the store reconnects after its backoff
  auto give_up = steady_clock::now() + 10s;
  while (client.get("/work").header("RateLimit-Limit").empty()) {
    ASSERT_LT(steady_clock::now(), give_up) << "the store never reconnected";
  }
  EXPECT_EQ(count(log.text(), "is unavailable"), 1) << log.text();
  EXPECT_EQ(count(log.text(), "reachable again"), 1) << log.text();
}

TEST(RedisRateLimit, RedisDownFailsClosedWith503) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  RedisLimitedApp limited(redis, /*fail_open=*/false);
  Client client(limited.app);
  EXPECT_EQ(client.get("/work").status, 200);
  redis.stop();
  for (int i = 0; i < 5; ++i) {
    auto r = client.get("/work");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Retry-After"), "1");
    EXPECT_EQ(r.body, R"({"error":"rate limit unavailable"})");
  }
  EXPECT_EQ(count(log.text(), "is unavailable"), 1) << log.text();
}

// Redis stalls (CLIENT PAUSE): the limited request waits, but the one worker keeps serving
// another connection meanwhile, and the request goes on (fail open) at the middleware's timeout,
// well before the store would give up on its own. Events decide, not durations: the health
// answer must come while the limited request is still waiting.
TEST(RedisRateLimit, StalledRedisNeverHoldsTheWorker) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  sloe::EngineOptions engine_options;
  engine_options.threads = 1;
  sloe::Engine app(engine_options);
  auto limited = app.group("/limited");
  RedisRateLimitOptions store_options = options_for(redis);
  store_options.timeout = 30s;  // the store never decides first
  limited.use(sloe::rate_limit({.rate = 1000,
                                .burst = 1000,
                                .store = std::make_shared<RedisRateLimitStore>(store_options),
                                .timeout = 3s}));
  limited.get("/work", [](Context& c) { c.string(200, "limited"); });
  app.get("/health", [](Context& c) { c.string(200, "ok"); });
  app.start("127.0.0.1:0");

  sloe::test::RawSocket warm(app.port());
  ASSERT_TRUE(warm.send("GET /limited/work HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = warm.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->header("RateLimit-Limit"), "1000");

  RedisReply paused = redis.command({"CLIENT", "PAUSE", "60000", "ALL"});
  ASSERT_TRUE(paused);
  sloe::test::RawSocket waiting(app.port());
  ASSERT_TRUE(waiting.send("GET /limited/work HTTP/1.1\r\nHost: x\r\n\r\n"));
  sloe::test::RawSocket other(app.port());
  ASSERT_TRUE(other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto health = other.read_response(3000ms);
  ASSERT_TRUE(health) << "the worker was held by the Redis call";
  EXPECT_EQ(health->body, "ok");
  EXPECT_FALSE(waiting.read_response(1ms)) << "the limited request was not waiting for Redis";

  // Bounded far below the store's 30 s: only the middleware's own timer answers by then.
  auto answered = waiting.read_response(20000ms);
  ASSERT_TRUE(answered) << "the middleware's 3 s timeout did not fire";
  EXPECT_EQ(answered->status, 200) << "fail open after the timeout";
  EXPECT_EQ(answered->header("RateLimit-Limit"), "");
  redis.stop();  // the store's thread, blocked on the paused Redis, lets go at once
  app.shutdown(1s);
}

}  // namespace
