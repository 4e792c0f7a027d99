// sloe::rate_limit(): token bucket math on an injected clock, the 429 answer and its headers,
// the keys (address, header, function), the in-process store's memory cap under key rotation
// and its thread safety, and the headers over a real socket.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::RateLimitOptions;
using sloe::testing::Client;
using std::chrono::steady_clock;

// A clock the test moves by hand: no sleeps, exact token math.
struct ManualClock {
  std::shared_ptr<steady_clock::time_point> now =
      std::make_shared<steady_clock::time_point>(steady_clock::time_point{} + 1000h);
  void advance(steady_clock::duration by) { *now += by; }
  std::function<steady_clock::time_point()> function() const {
    return [now = now] { return *now; };
  }
};

struct LimitedApp {
  explicit LimitedApp(RateLimitOptions options) {
    options.clock = clock.function();
    app.use(sloe::rate_limit(std::move(options)));
    app.get("/work", [this](Context& c) {
      ++handled;
      c.string(200, "done");
    });
  }
  ManualClock clock;
  sloe::Engine app;
  int handled = 0;
};

TEST(RateLimit, BurstThenRefillAtTheRateWithHeadersOnEveryAnswer) {
  LimitedApp limited({.rate = 1, .burst = 3});
  Client client(limited.app);
  struct Case {
    steady_clock::duration advance;
    int status;
    std::string_view remaining;
    std::string_view reset;        // seconds until the bucket is full again
    std::string_view retry_after;  // only on a 429
  };
  const Case cases[] = {
      {0s, 200, "2", "1", ""},    {0s, 200, "1", "2", ""},     {0s, 200, "0", "3", ""},
      {0s, 429, "0", "3", "1"},   {400ms, 429, "0", "3", "1"},  // 0.6 s to the token: rounded up
      {600ms, 200, "0", "3", ""},                               // one token came back after 1 s
      {0s, 429, "0", "3", "1"},   {10s, 200, "2", "1", ""},     // idle: full again, never more
  };
  int allowed = 0;
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const Case& want = cases[i];
    limited.clock.advance(want.advance);
    auto r = client.get("/work");
    SCOPED_TRACE(testing::Message() << "request " << i);
    EXPECT_EQ(r.status, want.status);
    EXPECT_EQ(r.header("RateLimit-Limit"), "3");
    EXPECT_EQ(r.header("RateLimit-Remaining"), want.remaining);
    EXPECT_EQ(r.header("RateLimit-Reset"), want.reset);
    EXPECT_EQ(r.header("Retry-After"), want.retry_after);
    if (want.status == 200) {
      ++allowed;
      EXPECT_EQ(r.body, "done");
    } else {
      EXPECT_EQ(sloe::json::parse(r.body), (sloe::json{{"error", "rate limit exceeded"}}));
      EXPECT_EQ(r.header("Content-Type").substr(0, 16), "application/json");
    }
  }
  EXPECT_EQ(limited.handled, allowed) << "a refused request must not reach the handler";
}

TEST(RateLimit, SlowRateRoundsRetryAfterUp) {
  LimitedApp limited({.rate = 0.4, .burst = 1});  // one token every 2.5 s
  Client client(limited.app);
  EXPECT_EQ(client.get("/work").status, 200);
  auto refused = client.get("/work");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("Retry-After"), "3");
  limited.clock.advance(2499ms);
  EXPECT_EQ(client.get("/work").header("Retry-After"), "1");
  limited.clock.advance(1ms);
  EXPECT_EQ(client.get("/work").status, 200);
}

TEST(RateLimit, EachClientAddressHasItsOwnBucket) {
  LimitedApp limited({.rate = 1, .burst = 1});
  Client first(limited.app, "192.0.2.1");
  Client second(limited.app, "192.0.2.2");
  EXPECT_EQ(first.get("/work").status, 200);
  EXPECT_EQ(first.get("/work").status, 429);
  EXPECT_EQ(second.get("/work").status, 200);
}

TEST(RateLimit, HeaderKeyFallsBackToTheAddressKeptApartFromHeaderValues) {
  LimitedApp limited({.rate = 1, .burst = 1, .header = "X-API-Key"});
  Client client(limited.app, "192.0.2.1");
  EXPECT_EQ(client.get("/work", {{"X-API-Key", "alpha"}}).status, 200);
  EXPECT_EQ(client.get("/work", {{"X-API-Key", "alpha"}}).status, 429);
  EXPECT_EQ(client.get("/work", {{"X-API-Key", "beta"}}).status, 200) << "same address, new key";
  // A header naming the address must not spend the budget of the requests without a header.
  EXPECT_EQ(client.get("/work", {{"X-API-Key", "192.0.2.1"}}).status, 200);
  EXPECT_EQ(client.get("/work").status, 200);
  EXPECT_EQ(client.get("/work").status, 429);
}

TEST(RateLimit, KeyFunctionDecides) {
  LimitedApp limited(
      {.rate = 1, .burst = 2, .key = [](Context& c) { return std::string(c.query("tenant")); }});
  Client client(limited.app);
  EXPECT_EQ(client.get("/work?tenant=a").status, 200);
  EXPECT_EQ(client.get("/work?tenant=a").status, 200);
  EXPECT_EQ(client.get("/work?tenant=a").status, 429);
  EXPECT_EQ(client.get("/work?tenant=b").status, 200);
}

TEST(RateLimit, SharedStoreSharesTheLimitBetweenEngines) {
  auto store = std::make_shared<sloe::MemoryRateLimitStore>();
  LimitedApp one({.rate = 1, .burst = 2, .store = store});
  LimitedApp two({.rate = 1, .burst = 2, .store = store});
  Client a(one.app);
  Client b(two.app);
  EXPECT_EQ(a.get("/work").status, 200);
  EXPECT_EQ(b.get("/work").status, 200);
  EXPECT_EQ(a.get("/work").status, 429);
  EXPECT_EQ(b.get("/work").status, 429);
}

TEST(RateLimit, RefusesMeaninglessOptions) {
  EXPECT_THROW(sloe::rate_limit({.rate = 0}), std::invalid_argument);
  EXPECT_THROW(sloe::rate_limit({.rate = -1}), std::invalid_argument);
  EXPECT_THROW(sloe::rate_limit({.rate = 1, .burst = 0}), std::invalid_argument);
  EXPECT_THROW(sloe::MemoryRateLimitStore(1), std::invalid_argument);
}

TEST(MemoryRateLimitStore, RotatingKeysStayUnderTheCap) {
  constexpr std::size_t kCap = 1600;
  sloe::MemoryRateLimitStore store(kCap);
  sloe::RateLimitQuota quota{.rate = 1, .burst = 5};
  steady_clock::time_point now{};
  // A steady client that keeps its bucket in use: eviction prefers fuller buckets, so it keeps
  // its debt through a flood of fresh keys (each starts with one token taken, less than it).
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store.take("steady", quota, now).allowed);
  for (int i = 0; i < 100'000; ++i) {
    now += 1us;
    ASSERT_TRUE(store.take("rotating-" + std::to_string(i), quota, now).allowed);
    ASSERT_LE(store.size(), kCap);
  }
  EXPECT_FALSE(store.take("steady", quota, now).allowed) << "the steady client kept its debt";
  // Once every bucket has refilled they are worth nothing and go at the next sweep.
  now += 10s;
  EXPECT_TRUE(store.take("newcomer", quota, now).allowed);
  for (int i = 0; i < 400; ++i) (void)store.take("late-" + std::to_string(i), quota, now);
  EXPECT_LE(store.size(), 401u) << "full buckets are dropped when room is needed";
}

TEST(MemoryRateLimitStore, ConcurrentTakesNeverExceedTheBurst) {
  sloe::MemoryRateLimitStore store;
  sloe::RateLimitQuota quota{.rate = 1e-6, .burst = 1000};
  steady_clock::time_point now{};
  std::atomic<int> allowed{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (store.take("shared", quota, now).allowed) ++allowed;
        (void)store.take("own-" + std::to_string(i % 7), quota, now);
      }
    });
  }
  threads.clear();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimit, OverASocketTheClientSeesTheHeaders) {
  sloe::EngineOptions options;
  options.threads = 2;
  sloe::Engine app(options);
  app.use(sloe::rate_limit({.rate = 0.001, .burst = 2}));
  app.get("/work", [](Context& c) { c.string(200, "done"); });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket socket(app.port());
  ASSERT_TRUE(
      socket.send("GET /work HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /work HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /work HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto answers = socket.read_responses(3);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[0].header("RateLimit-Remaining"), "1");
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_EQ(answers[2].status, 429);
  EXPECT_EQ(answers[2].header("RateLimit-Limit"), "2");
  EXPECT_EQ(answers[2].header("RateLimit-Remaining"), "0");
  EXPECT_EQ(answers[2].header("Retry-After"), "1000");
  EXPECT_EQ(answers[2].body, R"({"error":"rate limit exceeded"})");
  app.shutdown(1s);
}

}  // namespace
