// sloe::LocalJobQueue: jobs by name on a TaskPool of the process, the default JobQueue.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sloe/jobs/local_job_queue.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "../support/captured_log.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::ContextCopy;
using sloe::JobHandlers;
using sloe::LocalJobQueue;
using ::testing::HasSubstr;

// Counts calls and lets a test wait for a number of them.
class Calls {
 public:
  void add(std::string what) {
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(what));
    changed_.notify_all();
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return seen_.size() >= n; });
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> seen_;
};

TEST(LocalJobQueue, RunsTheNamedHandlerWithTheCopyOnTheEnginePool) {
  Calls calls;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) {
    calls.add(std::string(job.param("id")) + " " + std::string(job.request_id()));
  });
  sloe::Engine app;
  LocalJobQueue jobs(app.tasks(), handlers);
  app.post("/orders/:id", [&](sloe::Context& c) {
    jobs.enqueue("receipt", c.copy());
    c.json(202, {{"status", "queued"}});
  });
  sloe::testing::Client client(app);
  EXPECT_EQ(client.post("/orders/7", "{}", "application/json", {{"X-Request-ID", "r-1"}}).status,
            202);
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.seen()[0], "7 r-1");
  EXPECT_EQ(jobs.stats().enqueued, 1u);
}

TEST(LocalJobQueue, WithAWireFormatTheHandlerSeesWhatAWorkerWould) {
  Calls calls;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) {
    const int* user = job.get<int>("user_id");
    calls.add(std::string(job.param("id")) + " user=" + (user ? std::to_string(*user) : "-") +
              " secret=" + (job.get<std::string>("secret") ? "yes" : "no"));
  });
  auto wire = std::make_shared<sloe::WireFormat>();
  wire->key<int>("user_id");
  sloe::Engine app;
  LocalJobQueue jobs(app.tasks(), handlers, wire);
  app.post("/orders/:id", [&](sloe::Context& c) {
    c.set("user_id", 42);
    c.set("secret", std::string("stays"));
    jobs.enqueue("receipt", c.copy());
    c.status(202);
  });
  sloe::testing::Client client(app);
  client.post("/orders/7", "{}");
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.seen()[0], "7 user=42 secret=no");
}

TEST(LocalJobQueue, AFailingJobIsLoggedWithItsRequestAndThePoolCarriesOn) {
  sloe::test::CapturedLog log;
  Calls calls;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("boom", [](ContextCopy&) { throw std::runtime_error("disk full"); });
  handlers->handle("ok", [&](ContextCopy&) { calls.add("ok"); });
  sloe::TaskPool pool({.threads = 1});
  LocalJobQueue jobs(pool, handlers);
  sloe::WireFormat wire;
  ContextCopy copy = wire.decode(R"({"v": 1, "method": "GET", "path": "/", "request_id": "r-9"})");
  jobs.enqueue("boom", copy);
  jobs.enqueue("ok", copy);
  ASSERT_TRUE(calls.wait_for(1));  // one thread: "boom" has ended before "ok" runs
  EXPECT_THAT(log.text(), HasSubstr("request_id=r-9"));
  EXPECT_THAT(log.text(), HasSubstr("job boom (attempt 1) failed: disk full"));
}

TEST(LocalJobQueue, UnknownJobAndFullPoolAreRefused) {
  auto handlers = std::make_shared<JobHandlers>();
  std::mutex gate;
  std::unique_lock held(gate);
  handlers->handle("wait", [&](ContextCopy&) { std::lock_guard pass(gate); });
  sloe::TaskPool pool({.threads = 1, .queue_limit = 1});
  LocalJobQueue jobs(pool, handlers);
  ContextCopy copy;
  try {
    jobs.enqueue("nope", copy);
    FAIL() << "an unknown job was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("no handler for the job \"nope\""));
  }
  // One runs (blocked on the gate), one waits; the third finds the queue full. Whether the first
  // has left the queue yet is up to the pool's thread, so fill until refused.
  bool refused = false;
  for (int i = 0; i < 3 && !refused; ++i) {
    try {
      jobs.enqueue("wait", copy);
    } catch (const sloe::JobQueueUnavailable& e) {
      EXPECT_THAT(e.what(), HasSubstr("the local job queue is full"));
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(jobs.stats().rejected, 1u);
  held.unlock();
}

}  // namespace
