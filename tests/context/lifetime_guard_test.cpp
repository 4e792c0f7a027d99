// DESIGN.md invariants 1-3: a Context used after its request, or from another thread, throws
// sloe::ContextMisuse; a ContextCopy is safe anywhere. These tests also run under TSan.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <initializer_list>
#include <mutex>
#include <thread>
#include <type_traits>

#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::testing::Client;

static_assert(!std::is_copy_constructible_v<Context>, "[c] capture must not compile");
static_assert(!std::is_move_constructible_v<Context>);
static_assert(!std::is_copy_assignable_v<Context>);

TEST(LifetimeGuard, ContextUsedAfterItsRequestThrowsWithAdvice) {
  sloe::Engine app;
  Context* kept = nullptr;
  app.get("/user/:id", [&](Context& c) {
    kept = &c;
    c.string(200, c.param("id"));
  });
  Client client(app);
  ASSERT_EQ(client.get("/user/1").body, "1");
  ASSERT_NE(kept, nullptr);
  try {
    (void)kept->param("id");
    FAIL() << "expected ContextMisuse";
  } catch (const sloe::ContextMisuse& e) {
    EXPECT_NE(std::string(e.what()).find("after its request completed"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("c.copy()"), std::string::npos);
  }
  EXPECT_THROW(kept->string(200, "late"), sloe::ContextMisuse);
  EXPECT_THROW(kept->next(), sloe::ContextMisuse);
  EXPECT_THROW(kept->copy(), sloe::ContextMisuse);
  EXPECT_THROW((void)kept->get<int>("k"), sloe::ContextMisuse);
}

TEST(LifetimeGuard, ContextUsedFromAnotherThreadDuringTheRequestThrows) {
  sloe::Engine app;
  std::string message;
  app.get("/", [&](Context& c) {
    std::thread other([&] {
      try {
        (void)c.method();
      } catch (const sloe::ContextMisuse& e) {
        message = e.what();
      }
    });
    other.join();
    c.status(204);
  });
  Client client(app);
  EXPECT_EQ(client.get("/").status, 204);
  EXPECT_NE(message.find("thread other than"), std::string::npos) << message;
  EXPECT_NE(message.find("c.copy()"), std::string::npos);
}

// The Gin pitfall itself: a background thread keeps `&c` and reads it after the answer went
// out, while the same connection serves more requests. It must throw every time.
TEST(LifetimeGuard, BackgroundThreadHoldingTheContextAlwaysThrows) {
  sloe::Engine app;
  std::vector<std::future<std::string>> outcomes;
  std::vector<std::promise<void>> answered(50);
  int next = 0;
  app.get("/user/:id", [&](Context& c) {
    std::promise<std::string> outcome;
    outcomes.push_back(outcome.get_future());
    std::thread([&c, &gate = answered[next++], outcome = std::move(outcome)]() mutable {
      gate.get_future().wait();
      try {
        outcome.set_value(std::string(c.param("id")));  // the bug under test
      } catch (const sloe::ContextMisuse&) {
        outcome.set_value("misuse");
      }
    }).detach();
    c.string(200, c.param("id"));
  });
  Client client(app);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(client.get("/user/" + std::to_string(i)).body, std::to_string(i));
    answered[static_cast<std::size_t>(i)].set_value();
  }
  for (auto& outcome : outcomes) EXPECT_EQ(outcome.get(), "misuse");
}

bool throws_misuse(const std::function<void()>& use) {
  try {
    use();
  } catch (const sloe::ContextMisuse&) {
    return true;
  }
  return false;
}

// What a stale reference gives when it is used on its own worker while a later request is
// being served there (as a timer on the worker or a detached coroutine would use it): every
// use throws, for each of the next Context::reuse_distance requests, and the later request's
// answer is untouched by it.
struct StaleUse {
  int uses = 0;
  int misuses = 0;
  int later_answers_intact = 0;
};

void route_stale_use(sloe::Engine& app, Context*& kept, StaleUse& stale) {
  app.get("/keep/:id", [&kept](Context& c) {
    kept = &c;
    c.string(200, "kept {}", c.param("id"));
  });
  app.get("/user/:id", [&kept, &stale](Context& c) {
    for (const std::function<void()>& use : std::initializer_list<std::function<void()>>{
             [&] { (void)kept->param("id"); },
             [&] { (void)kept->query("q"); },
             [&] { (void)kept->header("X-Id"); },
             [&] { (void)kept->path(); },
             [&] { kept->string(200, "written through a stale reference"); },
             [&] { kept->set("k", 1); },
         }) {
      ++stale.uses;
      if (throws_misuse(use)) ++stale.misuses;
    }
    if (c.response_body().empty() && c.response_status() == 200) ++stale.later_answers_intact;
    c.string(200, c.param("id"));
  });
}

std::string user_request(int i) {
  return "GET /user/" + std::to_string(i) + "?q=v" + std::to_string(i) +
         " HTTP/1.1\r\nHost: x\r\nX-Id: " + std::to_string(i) + "\r\n\r\n";
}

TEST(LifetimeGuard, StaleContextUsedOnItsWorkerThrowsForTheNextReuseDistanceRequests) {
  constexpr int kLater = static_cast<int>(Context::reuse_distance);
  sloe::Engine app;
  Context* kept = nullptr;
  StaleUse stale;
  route_stale_use(app, kept, stale);
  Client client(app);
  ASSERT_EQ(client.get("/keep/0?q=stale", {{"X-Id", "stale"}}).body, "kept 0");
  for (int i = 1; i <= kLater; ++i) {
    std::string id = std::to_string(i);
    ASSERT_EQ(client.get("/user/" + id + "?q=v" + id, {{"X-Id", id}}).body, id);
    ASSERT_TRUE(throws_misuse([&] { (void)kept->param("id"); })) << "after request " << i;
  }
  EXPECT_EQ(stale.uses, 6 * kLater);
  EXPECT_EQ(stale.misuses, stale.uses);
  EXPECT_EQ(stale.later_answers_intact, kLater);
}

// The same on a real worker, with the later requests pipelined behind the one that leaks its
// Context, and also on fresh connections to the same worker.
TEST(LifetimeGuard, StaleContextOnARealWorkerThrowsForTheNextReuseDistanceRequests) {
  constexpr int kLater = static_cast<int>(Context::reuse_distance);
  sloe::EngineOptions options;
  options.threads = 1;
  sloe::Engine app(options);
  Context* kept = nullptr;
  StaleUse stale;
  route_stale_use(app, kept, stale);
  app.start("127.0.0.1:0");

  std::string pipelined = "GET /keep/0?q=stale HTTP/1.1\r\nHost: x\r\nX-Id: stale\r\n\r\n";
  for (int i = 1; i <= kLater / 2; ++i) pipelined += user_request(i);
  sloe::test::RawSocket socket(app.port());
  socket.send(pipelined);
  auto answers = socket.read_responses(static_cast<std::size_t>(kLater / 2 + 1));
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(kLater / 2 + 1));
  EXPECT_EQ(answers[0].body, "kept 0");
  for (int i = kLater / 2 + 1; i <= kLater; ++i) {
    sloe::test::RawSocket next(app.port());
    next.send(user_request(i));
    auto answer = next.read_responses(1);
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(answer[0].body, std::to_string(i));
  }
  for (int i = 1; i <= kLater / 2; ++i) {
    EXPECT_EQ(answers[static_cast<std::size_t>(i)].body, std::to_string(i));
  }
  app.shutdown(1s);
  EXPECT_EQ(stale.uses, 6 * kLater);
  EXPECT_EQ(stale.misuses, stale.uses);
  EXPECT_EQ(stale.later_answers_intact, kLater);
}

// The fix: a copy taken in the handler reads its own request's values on another thread,
// after the connection has gone on to serve many later requests.
TEST(LifetimeGuard, CopiesReadTheirOwnRequestOnAnotherThread) {
  constexpr int kRequests = 2000;
  sloe::Engine app;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<sloe::ContextCopy> queue;
  bool done = false;
  app.get("/user/:id", [&](Context& c) {
    c.set("n", std::string(c.param("id")));
    {
      std::lock_guard lock(mutex);
      queue.push_back(c.copy());
    }
    ready.notify_one();
    c.status(202);
  });

  int checked = 0;
  int wrong = 0;
  std::thread consumer([&] {
    for (;;) {
      std::unique_lock lock(mutex);
      // Let the connection run ahead so that every copy outlives its request's buffers.
      ready.wait(lock, [&] { return done || queue.size() >= 100; });
      if (queue.empty() && done) return;
      sloe::ContextCopy copy = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      std::string id(copy.param("id"));
      const std::string* key = copy.get<std::string>("n");
      if (copy.full_path() != "/user/:id" || copy.query("q") != "v" + id ||
          copy.header("X-Id") != id || key == nullptr || *key != id) {
        ++wrong;
      }
      ++checked;
    }
  });

  Client client(app);
  for (int i = 0; i < kRequests; ++i) {
    std::string id = std::to_string(i);
    ASSERT_EQ(client.get("/user/" + id + "?q=v" + id, {{"X-Id", id}}).status, 202);
  }
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  ready.notify_one();
  consumer.join();
  EXPECT_EQ(checked, kRequests);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
