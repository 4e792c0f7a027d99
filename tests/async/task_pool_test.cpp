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

TEST(TaskPool, DrainLetsTasksFinishWithinGrace) {
  TaskPool pool({.threads = 2});
  std::atomic<int> done{0};
  for (int i = 0; i < 6; ++i) {
    pool.spawn(info("r" + std::to_string(i)), [&] {
      std::this_thread::sleep_for(5ms);
      done.fetch_add(1);
    });
  }
  auto report = pool.drain(10s);
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(report.finished, 6u);
  EXPECT_EQ(report.cancelled, 0u);
  EXPECT_EQ(report.abandoned, 0u);
  EXPECT_TRUE(report.unfinished.empty());
}

TEST(TaskPool, DrainCancelsRunningAndDropsQueued) {
  LogCapture logs;
  TaskPool pool({.threads = 3});
  std::atomic<int> started{0};
  auto endless = [&](const Scope& s) {
    started.fetch_add(1);
    wait_for_cancel(s);
  };
  // Two tasks that only end when cancelled, and one that ends soon after the drain starts;
  // its worker then takes the first queued task (also endless). The other two stay queued.
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
  std::thread opener([quick_gate] {
    std::this_thread::sleep_for(10ms);
    quick_gate->open();
  });

  auto start = clock::now();
  auto report = pool.drain(500ms, 5s);
  auto took = clock::now() - start;
  opener.join();

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
  auto report = pool.drain(1s);
  EXPECT_EQ(report.cancelled + report.abandoned, 0u);
}

TEST(TaskPool, FateNames) {
  EXPECT_EQ(to_string(UnfinishedTask::Fate::dropped), "dropped");
  EXPECT_EQ(to_string(UnfinishedTask::Fate::cancelled), "cancelled");
  EXPECT_EQ(to_string(UnfinishedTask::Fate::abandoned), "abandoned");
}

}  // namespace
}  // namespace sloe
