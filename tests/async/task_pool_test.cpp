#include "sloe/async/task_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace sloe {
namespace {

using namespace std::chrono_literals;
using clock = TaskPool::clock;

// Replaces spdlog's default logger with one that keeps the last lines; restores it after.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)),
        previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_pattern("[%l] %v");
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    std::string all;
    for (auto& line : sink_->last_formatted()) all += line;
    return all;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Polls `done` every millisecond for up to `limit`.
template <class Pred>
bool eventually(Pred done, clock::duration limit = 5s) {
  auto end = clock::now() + limit;
  while (!done()) {
    if (clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Blocks until its scope is cancelled (no polling).
void wait_for_cancel(const Scope& scope) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait(lock, scope.token(), [] { return false; });
}

// A one-shot gate a task can wait on; safe to outlive the test body (held by shared_ptr).
struct Gate {
  std::promise<void> promise;
  std::shared_future<void> future = promise.get_future().share();
  void open() { promise.set_value(); }
  void wait() const { future.wait(); }
};

TaskInfo info(std::string id) {
  return {std::move(id), "GET", "/jobs"};
}

TEST(TaskPool, RunsTasksWithOrWithoutScopeArgument) {
  TaskPool pool({.threads = 4});
  std::atomic<int> with_scope{0}, without{0};
  for (int i = 0; i < 50; ++i) {
    pool.spawn(info("r"), [&](const Scope&) { with_scope.fetch_add(1); });
    pool.spawn(info("r"), [&] { without.fetch_add(1); });
  }
  ASSERT_TRUE(eventually([&] { return pool.stats().finished == 100; }));
  EXPECT_EQ(with_scope.load(), 50);
  EXPECT_EQ(without.load(), 50);
  auto stats = pool.stats();
  EXPECT_EQ(stats.spawned, 100u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_EQ(stats.running, 0u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(TaskPool, AcceptsMoveOnlyCallables) {
  TaskPool pool({.threads = 1});
  std::promise<int> result;
  auto future = result.get_future();
  pool.spawn(info("r"), [p = std::make_unique<int>(42), &result] { result.set_value(*p); });
  EXPECT_EQ(future.get(), 42);
}

TEST(TaskPool, SubmitHandsResultsAndExceptionsToTheFuture) {
  TaskPool pool({.threads = 2});
  auto scope = pool.scope().with_value("n", 20);
  auto with_scope =
      pool.submit(info("a"), scope, [](const Scope& s) { return *s.value<int>("n") + 1; });
  auto without = pool.submit(info("b"), scope, [] { return std::string("ok"); });
  auto nothing = pool.submit(info("c"), scope, [] {});
  auto throws = pool.submit(info("d"), scope, []() -> int { throw std::runtime_error("bad"); });
  EXPECT_EQ(with_scope.get(), 21);
  EXPECT_EQ(without.get(), "ok");
  EXPECT_NO_THROW(nothing.get());
  EXPECT_THROW(throws.get(), std::runtime_error);
  pool.drain(5s);
  EXPECT_EQ(pool.stats().failed, 0u);
  EXPECT_EQ(pool.stats().finished, 4u);
}

TEST(TaskPool, TaskScopeIsAChildOfTheGivenScope) {
  TaskPool pool({.threads = 1});
  auto request = Scope::background().with_value("user", std::string("ana")).with_cancel();
  std::promise<std::string> seen;
  std::promise<CancelReason> reason;
  pool.spawn(info("r"), request, [&](const Scope& s) {
    seen.set_value(*s.value<std::string>("user"));
    wait_for_cancel(s);
    reason.set_value(s.reason());
  });
  EXPECT_EQ(seen.get_future().get(), "ana");
  request.cancel();
  EXPECT_EQ(reason.get_future().get(), CancelReason::cancelled);
}

TEST(TaskPool, ExceptionsAreCaughtLoggedAndCounted) {
  LogCapture logs;
  TaskPool pool({.threads = 1});
  pool.spawn({"req-17", "POST", "/orders"},
             [] { throw std::runtime_error("payment gateway down"); });
  pool.spawn({"req-18", "PUT", "/users/9"}, [] { throw 42; });
  ASSERT_TRUE(eventually([&] { return pool.stats().failed == 2; }));

  // The (only) worker survived: it still runs tasks.
  std::promise<void> ran;
  pool.spawn(info("after"), [&] { ran.set_value(); });
  ASSERT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
  ASSERT_TRUE(eventually([&] { return pool.stats().finished == 3; }));
  EXPECT_EQ(pool.stats().failed, 2u);

  std::string text = logs.text();
  EXPECT_NE(text.find("[error]"), std::string::npos) << text;
  EXPECT_NE(text.find("req-17 POST /orders: payment gateway down"), std::string::npos) << text;
  EXPECT_NE(text.find("req-18 PUT /users/9: unknown exception"), std::string::npos) << text;
}

TEST(TaskPool, QueueFullThrowsWithoutBlocking) {
  TaskPool pool({.threads = 1, .queue_limit = 2});
  auto gate = std::make_shared<Gate>();
  std::promise<void> started;
  pool.spawn(info("busy"), [gate, &started] {
    started.set_value();
    gate->wait();
  });
  started.get_future().wait();
  pool.spawn(info("q1"), [] {});
  pool.spawn(info("q2"), [] {});
  try {
    pool.spawn(info("overflow"), [] {});
    ADD_FAILURE() << "spawn beyond queue_limit must throw";
  } catch (const TaskQueueFull& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("queue_limit"), std::string::npos) << message;
    EXPECT_NE(message.find("2 tasks waiting"), std::string::npos) << message;
    EXPECT_NE(message.find("shed load"), std::string::npos) << message;
    EXPECT_NE(message.find("overflow"), std::string::npos) << message;
  }
  EXPECT_EQ(pool.stats().rejected, 1u);
  EXPECT_EQ(pool.stats().queued, 2u);
  gate->open();
  ASSERT_TRUE(eventually([&] { return pool.stats().finished == 3; }));
}

TEST(TaskPool, SpawnAfterDrainThrowsClosed) {
  TaskPool pool({.threads = 1});
  pool.drain(1s);
  try {
    pool.spawn(info("late"), [] {});
    ADD_FAILURE() << "spawn after drain must throw";
  } catch (const TaskPoolClosed& e) {
    EXPECT_NE(std::string(e.what()).find("draining"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pool.stats().rejected, 1u);
  auto again = pool.drain(1s);  // a second drain has nothing to do
  EXPECT_EQ(again.finished + again.cancelled + again.abandoned, 0u);
}

TEST(TaskPool, InvalidOptionsAreRejected) {
  EXPECT_THROW(TaskPool({.threads = 0}), std::invalid_argument);
  EXPECT_THROW(TaskPool({.threads = 1, .queue_limit = 0}), std::invalid_argument);
}

// The report answers for the tasks still queued or running when the shutdown began
// (begin_shutdown(), or drain() itself) and for those accepted after it, each exactly once;
// tasks done before it are not its business.
TEST(TaskPool, DrainReportCountsTasksFromTheStartOfShutdown) {
  struct Case {
    const char* name;
    int done_before;  // returned before begin_shutdown()
    int outstanding;  // running or queued at begin_shutdown(), finish after it
    int spawned_after;
  };
  const Case cases[] = {
      {"tasks running and queued at the start finish during the shutdown", 0, 8, 0},
      {"tasks done before the start are not counted", 3, 5, 0},
      {"tasks spawned after the start are counted", 0, 2, 6},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TaskPool pool({.threads = 2});
    for (int i = 0; i < c.done_before; ++i) pool.spawn(info("early"), [] {});
    ASSERT_TRUE(eventually([&] { return pool.stats().finished == std::uint64_t(c.done_before); }));
    auto gate = std::make_shared<Gate>();
    std::atomic<int> done{0};
    auto gated = [gate, &done] {
      gate->wait();
      done.fetch_add(1);
    };
    for (int i = 0; i < c.outstanding; ++i) pool.spawn(info("outstanding"), gated);
    pool.begin_shutdown();
    for (int i = 0; i < c.spawned_after; ++i) pool.spawn(info("late"), gated);
    gate->open();
    auto report = pool.drain(30s);
    EXPECT_EQ(done.load(), c.outstanding + c.spawned_after);
    EXPECT_EQ(report.finished, std::size_t(c.outstanding + c.spawned_after));
    EXPECT_EQ(report.cancelled, 0u);
    EXPECT_EQ(report.abandoned, 0u);
    EXPECT_TRUE(report.unfinished.empty());
  }
}

TEST(TaskPool, DrainCancelsRunningAndDropsQueued) {
  LogCapture logs;
  TaskPool pool({.threads = 3});
  std::atomic<int> started{0};
  auto endless = [&](const Scope& s) {
    started.fetch_add(1);
    wait_for_cancel(s);
  };
  // Two tasks that only end when cancelled, and one that ends when let; its worker then takes
  // the first queued task (also endless). The other two stay queued.
  auto quick_gate = std::make_shared<Gate>();
  pool.spawn({"endless-1", "GET", "/stream"}, endless);
  pool.spawn({"endless-2", "GET", "/stream"}, endless);
  pool.spawn({"quick", "GET", "/quick"}, [&, quick_gate] {
    started.fetch_add(1);
    quick_gate->wait();
  });
  ASSERT_TRUE(eventually([&] { return started.load() == 3; }));
  std::atomic<int> callers_scope_cancelled{0};
  std::vector<CancelRegistration> regs;
  for (auto id : {"queued-1", "queued-2", "queued-3"}) {
    auto scope = pool.scope().with_cancel();
    regs.push_back(scope.on_cancel([&] { callers_scope_cancelled.fetch_add(1); }));
    pool.spawn({id, "POST", "/later"}, scope, endless);
  }
  // "quick" ends after the shutdown began, so the report counts it as finished; its worker
  // then takes queued-1.
  pool.begin_shutdown();
  quick_gate->open();
  ASSERT_TRUE(eventually([&] { return started.load() == 4; }));

  auto start = clock::now();
  auto report = pool.drain(500ms, 5s);
  auto took = clock::now() - start;

  EXPECT_LT(took, 4s);
  EXPECT_EQ(started.load(), 4) << "only queued-1 may have run";
  EXPECT_EQ(report.finished, 1u);
  EXPECT_EQ(report.cancelled, 5u);
  EXPECT_EQ(report.abandoned, 0u);
  ASSERT_EQ(report.unfinished.size(), 5u);
  std::vector<std::pair<std::string, UnfinishedTask::Fate>> cut;
  for (auto& u : report.unfinished) {
    cut.emplace_back(u.info.request_id, u.fate);
    EXPECT_GE(u.age, 400ms) << u.info.request_id;
  }
  std::sort(cut.begin(), cut.end());
  using F = UnfinishedTask::Fate;
  const std::vector<std::pair<std::string, F>> expected = {{"endless-1", F::cancelled},
                                                           {"endless-2", F::cancelled},
                                                           {"queued-1", F::cancelled},
                                                           {"queued-2", F::dropped},
                                                           {"queued-3", F::dropped}};
  EXPECT_EQ(cut, expected);
  // The caller's scopes are untouched; only the tasks' own children were cancelled.
  EXPECT_EQ(callers_scope_cancelled.load(), 0);

  auto stats = pool.stats();
  EXPECT_EQ(stats.cancelled, 5u);
  EXPECT_EQ(stats.finished, 4u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.running, 0u);

  std::string text = logs.text();
  EXPECT_NE(text.find("[warning] sloe: background task dropped at shutdown: request_id=queued-2 "
                      "POST /later"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cancelled at shutdown: request_id=endless-1 GET /stream"), std::string::npos)
      << text;
}

TEST(TaskPool, TaskIgnoringCancellationIsAbandonedAndDrainStillReturns) {
  auto gate = std::make_shared<Gate>();
  auto returned = std::make_shared<std::atomic<bool>>(false);
  std::promise<void> started;
  {
    LogCapture logs;
    TaskPool pool({.threads = 2});
    pool.spawn({"stubborn", "GET", "/forever"}, [gate, returned, &started] {
      started.set_value();
      gate->wait();  // ignores its scope
      returned->store(true);
    });
    started.get_future().wait();

    auto start = clock::now();
    auto report = pool.drain(20ms, 50ms);
    EXPECT_LT(clock::now() - start, 2s);
    EXPECT_EQ(report.abandoned, 1u);
    EXPECT_EQ(report.cancelled, 0u);
    ASSERT_EQ(report.unfinished.size(), 1u);
    EXPECT_EQ(report.unfinished[0].info.request_id, "stubborn");
    EXPECT_EQ(report.unfinished[0].fate, UnfinishedTask::Fate::abandoned);
    EXPECT_NE(logs.text().find("abandoned at shutdown: request_id=stubborn GET /forever"),
              std::string::npos)
        << logs.text();
  }  // the destructor does not wait for the abandoned task
  EXPECT_FALSE(returned->load());
  gate->open();  // the detached worker finishes on its own, after the pool is gone
  ASSERT_TRUE(eventually([&] { return returned->load(); }));
}

TEST(TaskPool, DestructorDrainsAndCancelsWithinShutdownBounds) {
  std::atomic<bool> saw_cancel{false};
  std::promise<void> started;
  auto start = clock::now();
  {
    TaskPool pool({.threads = 1, .shutdown_grace = 20ms, .shutdown_cancel_wait = 5s});
    pool.spawn(info("endless"), [&](const Scope& s) {
      started.set_value();
      wait_for_cancel(s);
      saw_cancel = s.reason() == CancelReason::cancelled;
    });
    started.get_future().wait();
  }
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_LT(clock::now() - start, 4s);
}

TEST(TaskPool, DestructorDoesNotHangOnTaskIgnoringCancellation) {
  auto gate = std::make_shared<Gate>();
  auto returned = std::make_shared<std::atomic<bool>>(false);
  auto start = clock::now();
  {
    LogCapture logs;  // keeps the expected warning out of the test output
    TaskPool pool({.threads = 1, .shutdown_grace = 10ms, .shutdown_cancel_wait = 10ms});
    std::promise<void> started;
    pool.spawn(info("stubborn"), [gate, returned, &started] {
      started.set_value();
      gate->wait();
      returned->store(true);
    });
    started.get_future().wait();
  }
  EXPECT_LT(clock::now() - start, 2s);
  gate->open();
  ASSERT_TRUE(eventually([&] { return returned->load(); }));
}

TEST(TaskPool, CancellingThePoolScopeReachesTasks) {
  auto engine = Scope::background().with_cancel();
  TaskPool pool({.threads = 2}, engine);
  std::atomic<int> cancelled{0};
  std::atomic<int> started{0};
  for (int i = 0; i < 2; ++i) {
    pool.spawn(info("t"), [&](const Scope& s) {
      started.fetch_add(1);
      wait_for_cancel(s);
      cancelled.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  engine.cancel();
  ASSERT_TRUE(eventually([&] { return cancelled.load() == 2; }));
  // Returned before any shutdown began: not in the drain's report.
  ASSERT_TRUE(eventually([&] { return pool.stats().finished == 2; }));
  auto report = pool.drain(1s);
  EXPECT_EQ(report.finished + report.cancelled + report.abandoned, 0u);
}

// One worker busy with a task that ends only when cancelled, or never, and many tasks queued
// behind it: at the end of the grace period the queued ones are dropped, and each counts as
// cancelled.
TEST(TaskPool, QueuedTasksCutAtTheEndOfTheGraceCountAsCancelled) {
  constexpr std::size_t kQueued = 100;
  struct Case {
    const char* name;
    bool honours_scope;
    std::size_t cancelled;
    std::size_t abandoned;
  };
  const Case cases[] = {
      {"the running task honours its scope", true, kQueued + 1, 0},
      {"the running task ignores its scope", false, kQueued, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    LogCapture logs;  // keeps the expected warnings out of the test output
    auto gate = std::make_shared<Gate>();
    auto ran = std::make_shared<std::atomic<int>>(0);
    {
      TaskPool pool({.threads = 1});
      std::promise<void> started;
      pool.spawn(info("busy"), [&started, gate, honours = c.honours_scope](const Scope& s) {
        started.set_value();
        if (honours) {
          wait_for_cancel(s);
        } else {
          gate->wait();
        }
      });
      started.get_future().wait();
      for (std::size_t i = 0; i < kQueued; ++i) {
        pool.spawn(info("queued-" + std::to_string(i)), [ran] { ran->fetch_add(1); });
      }
      auto report = pool.drain(50ms, c.honours_scope ? 30s : 50ms);
      EXPECT_EQ(report.finished, 0u);
      EXPECT_EQ(report.cancelled, c.cancelled);
      EXPECT_EQ(report.abandoned, c.abandoned);
      ASSERT_EQ(report.unfinished.size(), kQueued + 1);
      std::size_t dropped = 0;
      for (const auto& u : report.unfinished) {
        if (u.fate == UnfinishedTask::Fate::dropped) {
          ++dropped;
          EXPECT_EQ(u.info.request_id.rfind("queued-", 0), 0u) << u.info.request_id;
        }
      }
      EXPECT_EQ(dropped, kQueued);
      EXPECT_EQ(ran->load(), 0);
      EXPECT_EQ(pool.stats().cancelled, kQueued + 1);
    }
    gate->open();  // lets an abandoned task return, after its pool is gone
  }
}

// An engine cancels its lifetime (the pool's scope) when requests outlast the grace period,
// before it drains the pool. The tasks that return then, and the queued ones that run with a
// cancelled scope or are dropped, were cut short: all count as cancelled, each once.
TEST(TaskPool, TasksCutThroughThePoolScopeDuringShutdownCountAsCancelled) {
  constexpr int kQueued = 100;
  for (auto grace : {clock::duration::zero(), clock::duration(30s)}) {
    SCOPED_TRACE(grace == clock::duration::zero() ? "no grace left" : "grace left");
    LogCapture logs;
    auto lifetime = Scope::background().with_cancel();
    TaskPool pool({.threads = 1}, lifetime);
    std::promise<void> started;
    pool.spawn(info("busy"), [&started](const Scope& s) {
      started.set_value();
      wait_for_cancel(s);
    });
    started.get_future().wait();
    for (int i = 0; i < kQueued; ++i) pool.spawn(info("queued-" + std::to_string(i)), [] {});
    pool.begin_shutdown();
    lifetime.cancel();
    auto report = pool.drain(grace, 30s);
    EXPECT_EQ(report.finished, 0u);
    EXPECT_EQ(report.cancelled, std::size_t(kQueued + 1));
    EXPECT_EQ(report.abandoned, 0u);
    std::vector<std::string> ids;
    for (const auto& u : report.unfinished) ids.push_back(u.info.request_id);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "a task counted twice";
    EXPECT_EQ(ids.size(), std::size_t(kQueued + 1));
  }
}

TEST(TaskPool, FateNames) {
  EXPECT_EQ(to_string(UnfinishedTask::Fate::dropped), "dropped");
  EXPECT_EQ(to_string(UnfinishedTask::Fate::cancelled), "cancelled");
  EXPECT_EQ(to_string(UnfinishedTask::Fate::abandoned), "abandoned");
}

}  // namespace
}  // namespace sloe
